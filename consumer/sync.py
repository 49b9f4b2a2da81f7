"""Syncs: pull from a source completely, then apply the differences in one transaction.

Nothing is written until every entity has been pulled without error, so a failed or interrupted sync
changes nothing. Records absent from a complete pull, and records the provider marks `tobedeleted`, are
deletions; when they exceed the guard (by default more than 10 records and more than 10 % of a kind) they
are held for approval instead of applied, and the rest of the sync is applied. A delta sync asks only for
what changed since the last successful sync's high-water mark.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.locking import sync_lock
from rosterlab.consumer.matching import MatchKey
from rosterlab.consumer.reconcile import DeletionGuard, Target, apply_entity
from rosterlab.consumer.selection import Selection
from rosterlab.consumer.sinks import Change, Sink
from rosterlab.consumer.sources.base import Progress, Pull, Source
from rosterlab.consumer.spool import Spool
from rosterlab.consumer.store import ROSTER, TABLES, metadata, runs, state
from rosterlab.spec.filter.fields import format_instant, parse_instant

__all__ = ["DeletionGuard", "SyncOptions", "SyncResult", "delta_sync", "full_sync", "local_records"]

SHOWN_REJECTIONS = 100
SETTLED = timedelta(hours=1)  # how long after its stamp a provider's change is surely committed


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
    return _sync(engine, connection_name, source, options, since=None, start=None)


def delta_sync(
    engine: Engine, connection_name: str, source: Source, options: SyncOptions | None = None, **overrides: Any
) -> SyncResult:
    """Pull what changed since the last successful sync and apply it at once; a connection never synced gets
    a full sync."""
    options = replace(options or SyncOptions(), **overrides)
    mark = high_water(engine, connection_name)
    return _sync(engine, connection_name, source, options, since=mark, start=delta_start(engine, connection_name, mark))


def delta_start(engine: Engine, connection_name: str, mark: str | None) -> str | None:
    """The instant a delta asks from (`dateLastModified>=`): the high-water mark while it is recent, since a
    record stamped then may have been committed after the last pull; once the mark is older than that pull by
    `SETTLED`, every record stamped at it was seen, and the delta starts a millisecond later. (Otherwise a
    district loaded in bulk, every record sharing one stamp, would be read whole by every delta.)"""
    if mark is None:
        return None
    query = (
        select(runs.c.started)
        .where(runs.c.connection == connection_name, runs.c.outcome.in_(("applied", "held")))
        .order_by(runs.c.id.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        last_pull = connection.execute(query).scalar()
    moment = parse_instant(mark)
    if last_pull is not None and moment + SETTLED < parse_instant(last_pull):
        return format_instant(moment + timedelta(milliseconds=1))
    return mark


def _sync(
    engine: Engine, connection_name: str, source: Source, options: SyncOptions, since: str | None, start: str | None
) -> SyncResult:
    metadata.create_all(engine)
    kind = "full" if since is None else "delta"
    started, clock = _now(), time.monotonic()
    try:
        with sync_lock(engine, connection_name):
            pulled = source.pull(options.entities, start, options.progress)
            try:
                with engine.begin() as connection:
                    result = _apply(connection, connection_name, pulled, options, since)
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


def _apply(connection: Connection, connection_name: str, pulled: Pull, options: SyncOptions, since) -> SyncResult:
    target = Target(connection_name, options.tenant, options.match)
    records = _selected(connection, connection_name, pulled, options.selection)
    result = SyncResult()
    changes: list[Change] = []
    stamps: list[str] = []
    for entity in options.entities:
        if entity not in records:
            continue
        applied = apply_entity(
            connection, target, entity, records[entity], options.guard, entity in pulled.complete, bool(options.sinks)
        )
        result.counts[entity] = applied.counts
        if applied.newest:
            stamps.append(applied.newest)
        result.rejections += applied.rejections
        changes += applied.changes
        if applied.held:
            result.held[entity] = applied.held
    for sink in options.sinks:
        sink.receive(changes)  # a sink that raises rolls the whole sync back
    newest = max([*stamps, *([since] if since else [])], default=None)
    # Held deletions keep the mark where it was, so the next delta pulls them again (after approval too).
    mark = since if result.held else newest
    connection.execute(delete(state).where(state.c.connection == connection_name))
    connection.execute(insert(state), {"connection": connection_name, "high_water": mark})
    return result


def _selected(connection: Connection, connection_name: str, pulled: Pull, selection: Selection) -> dict[str, list]:
    """The pulled records within the selection. In a delta, a record that left it is a deletion."""
    if selection.everything:
        return pulled.records
    universe: dict[str, dict[str, dict]] = {}
    for entity in TABLES:
        incoming = {
            r["sourcedId"]: r for r in pulled.records.get(entity, []) if isinstance(r, dict) and "sourcedId" in r
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
        keep = kept.get(entity, set())
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
            "counts": {**result.counts, "held": result.held} if not error else None,
            "rejections": result.rejections[:SHOWN_REJECTIONS] or None,
            "error": error,
        },
    )


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
