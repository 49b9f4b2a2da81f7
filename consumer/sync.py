"""Syncs: pull from a source completely, then apply the differences in one transaction.

Nothing is written until every entity has been pulled without error, so a failed or interrupted sync
changes nothing. Records absent from a complete pull, records the provider marks `tobedeleted` and records
it confirmed gone are deletions; when they exceed the guard (by default more than 10 records and more than
10 % of a kind) they are held for approval instead of applied, and the rest of the sync is applied. Records
served twice with different content, and records naming what the roster does not hold, are rejected and
listed (consumer/integrity.py). A delta sync asks each entity only for what changed since its own
high-water mark (consumer/marks.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.integrity import refusals
from rosterlab.consumer.locking import sync_lock
from rosterlab.consumer.marks import delta_starts, mark_of, save_marks, stored_marks
from rosterlab.consumer.matching import MatchKey
from rosterlab.consumer.reconcile import DeletionGuard, Incoming, Target, apply_entity
from rosterlab.consumer.selection import Selection
from rosterlab.consumer.sinks import Change, Sink
from rosterlab.consumer.sources.base import Progress, Pull, Source
from rosterlab.consumer.spool import Spool
from rosterlab.consumer.store import ROSTER, TABLES, metadata, runs, state

__all__ = ["DeletionGuard", "SyncOptions", "SyncResult", "delta_sync", "full_sync", "local_records"]

SHOWN_REJECTIONS = 100


@dataclass(frozen=True)
class SyncOptions:
    """How a sync runs: what it pulls, what it keeps, who hears of it."""

    entities: tuple[str, ...] = ROSTER
    guard: DeletionGuard = field(default_factory=DeletionGuard)
    selection: Selection = field(default_factory=Selection)
    match: MatchKey = field(default_factory=MatchKey)
    tenant: str | None = None
    sinks: tuple[Sink, ...] = ()
    progress: Progress | None = None
    origin: str = "manual"  # manual, scheduled or requested
    job_id: str | None = None


@dataclass
class SyncResult:
    """What a sync did, per entity."""

    kind: str = "full"
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    rejections: list[str] = field(default_factory=list)
    rejected: dict[str, set[str]] = field(default_factory=dict)  # the sourcedIds refused, per entity
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(c.get("created") or c.get("updated") or c.get("deleted") for c in self.counts.values())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def high_water(engine: Engine, connection_name: str) -> str | None:
    """The newest dateLastModified the last successful sync of a connection saw, or None."""
    metadata.create_all(engine)
    with engine.connect() as connection:
        return connection.execute(select(state.c.high_water).where(state.c.connection == connection_name)).scalar()


def full_sync(
    engine: Engine, connection_name: str, source: Source, options: SyncOptions | None = None, **overrides: Any
) -> SyncResult:
    """Pull everything, then apply it at once; raises SyncError (nothing applied) when a pull fails."""
    options = replace(options or SyncOptions(), **overrides)
    return _sync(engine, connection_name, source, options, starts=None)


def delta_sync(
    engine: Engine, connection_name: str, source: Source, options: SyncOptions | None = None, **overrides: Any
) -> SyncResult:
    """Pull what changed since the last successful sync and apply it at once; each entity from its own mark
    (an entity never synced is pulled whole)."""
    options = replace(options or SyncOptions(), **overrides)
    metadata.create_all(engine)
    starts = delta_starts(engine, connection_name, options.entities)
    return _sync(engine, connection_name, source, options, starts=starts)


def _sync(
    engine: Engine, connection_name: str, source: Source, options: SyncOptions, starts: dict[str, str | None] | None
) -> SyncResult:
    metadata.create_all(engine)
    kind = "full" if starts is None or not any(starts.values()) else "delta"
    started, clock = _now(), time.monotonic()
    try:
        with sync_lock(engine, connection_name):
            pulled = source.pull(options.entities, starts, options.progress)
            kind = pulled.kind
            try:
                with engine.begin() as connection:
                    result = _apply(connection, connection_name, pulled, options)
                    result.kind, result.seconds = kind, time.monotonic() - clock
                    _record_run(connection, connection_name, options, kind, started, result, None)
            finally:
                for records in pulled.records.values():
                    if isinstance(records, Spool):
                        records.close()
    except Exception as error:
        _record_failure(engine, connection_name, options, kind, started, clock, error)
        raise
    return result


def _apply(connection: Connection, connection_name: str, pulled: Pull, options: SyncOptions) -> SyncResult:
    target = Target(connection_name, options.tenant, options.match)
    selected = replace(pulled, records=_selected(connection, connection_name, pulled, options.selection))
    refused = refusals(connection, connection_name, selected, options.entities)
    before = stored_marks(connection, connection_name)
    marks: dict[str, str | None] = {e: mark_of(before, e) for e in options.entities if mark_of(before, e)}
    result = SyncResult(warnings=list(pulled.warnings))
    changes: list[Change] = []
    for entity in options.entities:
        if entity not in selected.records:
            continue
        incoming = Incoming(
            selected.records[entity],
            entity in pulled.complete,
            refused.reasons.get(entity, {}),
            pulled.gone.get(entity, set()) | refused.retired.get(entity, set()),
        )
        applied = apply_entity(connection, target, entity, incoming, options.guard, bool(options.sinks))
        result.counts[entity] = applied.counts
        result.rejections += applied.rejections
        if incoming.rejected:
            result.rejected[entity] = set(incoming.rejected)
        changes += applied.changes
        if applied.held:  # held deletions keep the entity's mark, so the next delta pulls them again
            result.held[entity] = applied.held
        elif entity in pulled.complete:
            marks[entity] = applied.newest
        else:
            marks[entity] = max(filter(None, (marks.get(entity), applied.newest)), default=None)
    for sink in options.sinks:
        sink.receive(changes)  # a sink that raises rolls the whole sync back
    save_marks(connection, connection_name, marks)
    return result


def _selected(connection: Connection, connection_name: str, pulled: Pull, selection: Selection) -> dict[str, Any]:
    """The pulled records within the selection. In a delta, a record that left it is a deletion."""
    if selection.everything:
        return pulled.records
    universe: dict[str, dict[str, dict]] = {}
    for entity in TABLES:
        conflicts = pulled.conflicts.get(entity, set())
        incoming = {
            r["sourcedId"]: r
            for r in pulled.records.get(entity, [])
            if isinstance(r, dict) and "sourcedId" in r and r["sourcedId"] not in conflicts
        }
        if entity in pulled.complete:
            universe[entity] = incoming
            continue
        table = TABLES[entity]
        query = select(table.c.sourced_id, table.c.data).where(
            table.c.connection == connection_name, table.c.status == "active"
        )
        universe[entity] = {**{row.sourced_id: row.data for row in connection.execute(query)}, **incoming}
    kept = selection.kept(universe)
    out: dict[str, list] = {}
    for entity, records in pulled.records.items():
        keep = kept.get(entity, set()) | pulled.conflicts.get(entity, set())
        if entity in pulled.complete:
            out[entity] = [r for r in records if r.get("sourcedId") in keep]
        else:
            out[entity] = [r if r.get("sourcedId") in keep else {**r, "status": "tobedeleted"} for r in records]
    return out


def _record_run(connection, connection_name, options, kind, started, result: SyncResult, error) -> None:
    """One line of the sync history."""
    connection.execute(
        insert(runs),
        {
            "connection": connection_name,
            "kind": kind,
            "origin": options.origin,
            "job_id": options.job_id,
            "started": started,
            "finished": _now(),
            "seconds": f"{result.seconds:.3f}",
            "outcome": "failed" if error else ("held" if result.held else "applied"),
            "counts": _counts(result) if not error else None,
            "rejections": result.rejections[:SHOWN_REJECTIONS] or None,
            "error": error,
        },
    )


def _counts(result: SyncResult) -> dict[str, Any]:
    counts: dict[str, Any] = {**result.counts, "held": result.held}
    if result.warnings:
        counts["warnings"] = result.warnings[:SHOWN_REJECTIONS]
    return counts


def _record_failure(engine, connection_name, options, kind, started, clock, error: Exception) -> None:
    result = SyncResult(kind=kind, seconds=time.monotonic() - clock)
    message = str(error) if isinstance(error, (SyncError, AuthError)) else repr(error)
    with engine.begin() as connection:
        _record_run(connection, connection_name, options, kind, started, result, message)


def local_records(engine: Engine, connection_name: str, entity: str, active_only: bool = False) -> dict[str, dict]:
    """The records of one entity held for a connection, by sourcedId."""
    table = TABLES[entity]
    query = select(table.c.sourced_id, table.c.data).where(table.c.connection == connection_name)
    if active_only:
        query = query.where(table.c.status == "active")
    with engine.connect() as connection:
        return {row.sourced_id: row.data for row in connection.execute(query)}
