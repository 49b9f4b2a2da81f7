"""A full sync: pull every collection completely, then apply the differences in one transaction.

Nothing is written until every collection has been pulled without error, so a failed or interrupted sync
changes nothing. Records absent from a complete pull, and records the provider marks `tobedeleted`, are
deletions; when they exceed the guard (by default more than 10 records and more than 10 % of a kind) they
are held for approval instead of applied, and the rest of the sync is applied.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from rosterlab.consumer.client import OneRosterClient, SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.store import TABLES, held, metadata, runs, state
from rosterlab.spec.endpoints import base_path as service_path
from rosterlab.spec.endpoints import operation
from rosterlab.spec.filter.fields import format_instant, parse_instant

# The collection each synced entity is read from.
COLLECTIONS = {
    "org": "getAllOrgs",
    "academicSession": "getAllAcademicSessions",
    "course": "getAllCourses",
    "class": "getAllClasses",
    "user": "getAllUsers",
    "enrollment": "getAllEnrollments",
    "demographics": "getAllDemographics",
}


@dataclass(frozen=True)
class DeletionGuard:
    """Hold deletions of a kind when they are more than `count` records and more than `share` of it."""

    count: int = 10
    share: float = 0.10

    def holds(self, deletions: int, existing: int) -> bool:
        return deletions > self.count and existing > 0 and deletions / existing > self.share


@dataclass
class SyncResult:
    """What a sync did, per entity."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.get("created") or c.get("updated") or c.get("deleted") for c in self.counts.values())


def base_path(base_url: str, version: str, entity: str) -> str:
    """The collection URL path of an entity, from a base URL given with or without /ims/oneroster/..."""
    root = base_url.split("/ims/oneroster", 1)[0].rstrip("/")
    op = operation(COLLECTIONS[entity])
    return root + service_path(version, op.service()) + op.path


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def high_water(engine: Engine, connection_name: str) -> str | None:
    """The newest dateLastModified the last successful sync of a connection saw, or None."""
    metadata.create_all(engine)
    with engine.connect() as connection:
        return connection.execute(select(state.c.high_water).where(state.c.connection == connection_name)).scalar()


def full_sync(
    engine: Engine,
    connection_name: str,
    client: OneRosterClient,
    version: str,
    entities: tuple[str, ...] = tuple(COLLECTIONS),
    guard: DeletionGuard = DeletionGuard(),
) -> SyncResult:
    """Pull everything, then apply it at once; raises SyncError (nothing applied) when a pull fails."""
    return _sync(engine, connection_name, client, version, entities, guard, since=None)


def delta_sync(
    engine: Engine,
    connection_name: str,
    client: OneRosterClient,
    version: str,
    entities: tuple[str, ...] = tuple(COLLECTIONS),
    guard: DeletionGuard = DeletionGuard(),
) -> SyncResult:
    """Pull what changed since the last successful sync (`dateLastModified>=` its high-water mark) and apply
    it at once; a connection never synced gets a full sync."""
    since = high_water(engine, connection_name)
    return _sync(engine, connection_name, client, version, entities, guard, since=since)


def _sync(engine, connection_name, client, version, entities, guard, since: str | None) -> SyncResult:
    metadata.create_all(engine)
    kind = "full" if since is None else "delta"
    started = _now()
    params = {} if since is None else {"filter": f"dateLastModified>='{since}'"}
    try:
        pulled: dict[str, list[dict[str, Any]]] = {}
        for entity in entities:
            op = operation(COLLECTIONS[entity])
            path = base_path(client.base_url, version, entity)
            pulled[entity] = [normalize(r) for r in client.collection(path, op.response_key(version), params)]
    except SyncError as error:
        _record(engine, connection_name, kind, started, "failed", None, str(error))
        raise
    stamps = [_instant(r["dateLastModified"]) for rs in pulled.values() for r in rs if r.get("dateLastModified")]
    newest = max([*stamps, *([since] if since else [])], default=None)
    result = SyncResult()
    with engine.begin() as connection:
        for entity, records in pulled.items():
            counts, held_count = _apply(connection, connection_name, entity, records, guard, complete=since is None)
            result.counts[entity] = counts
            if held_count:
                result.held[entity] = held_count
        # Held deletions keep the mark where it was, so the next delta pulls them again (after approval too).
        mark = since if result.held else newest
        connection.execute(delete(state).where(state.c.connection == connection_name))
        connection.execute(insert(state), {"connection": connection_name, "high_water": mark})
        outcome = "held" if result.held else "applied"
        _record_run(connection, connection_name, kind, started, outcome, {**result.counts, "held": result.held}, None)
    return result


def _instant(text: str) -> str:
    return format_instant(parse_instant(text))


def _apply(
    connection, connection_name: str, entity: str, records, guard: DeletionGuard, complete: bool = True
) -> tuple[dict[str, int], int]:
    """Apply one entity's pulled records; absence means deletion only when the pull was `complete` (full)."""
    table = TABLES[entity]
    existing = {
        row.sourced_id: row for row in connection.execute(select(table).where(table.c.connection == connection_name))
    }
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    incoming = {record["sourcedId"]: record for record in records}
    deletions = [
        sid
        for sid, row in existing.items()
        if row.status == "active"
        and ((complete and sid not in incoming) or incoming.get(sid, {}).get("status") == "tobedeleted")
    ]
    hold = guard.holds(len(deletions), sum(1 for row in existing.values() if row.status == "active"))
    connection.execute(delete(held).where(held.c.connection == connection_name, held.c.entity == entity))
    for sourced_id, record in incoming.items():
        if hold and sourced_id in deletions:
            continue
        old = existing.get(sourced_id)
        values = {
            "status": record.get("status", "active"),
            "date_last_modified": record.get("dateLastModified", ""),
            "data": record,
        }
        if old is None:
            connection.execute(
                insert(table),
                {"connection": connection_name, "sourced_id": sourced_id, "local_id": str(uuid.uuid4()), **values},
            )
            counts["created"] += 1
        elif old.data != record or old.status != values["status"]:
            connection.execute(
                update(table)
                .where(table.c.connection == connection_name, table.c.sourced_id == sourced_id)
                .values(**values)
            )
            counts["deleted" if values["status"] == "tobedeleted" else "updated"] += 1
        else:
            counts["unchanged"] += 1
    for sourced_id in deletions:
        if sourced_id in incoming:
            continue
        if hold:
            continue
        connection.execute(
            update(table)
            .where(table.c.connection == connection_name, table.c.sourced_id == sourced_id)
            .values(status="tobedeleted")
        )
        counts["deleted"] += 1
    if hold:
        connection.execute(
            insert(held), [{"connection": connection_name, "entity": entity, "sourced_id": sid} for sid in deletions]
        )
    return counts, len(deletions) if hold else 0


def _record_run(connection, connection_name, kind, started, outcome, counts, error) -> None:
    """One line of the sync history."""
    row = {"connection": connection_name, "kind": kind, "started": started, "finished": _now()}
    connection.execute(insert(runs), {**row, "outcome": outcome, "counts": counts, "error": error})


def _record(engine, connection_name, kind, started, outcome, counts, error) -> None:
    with engine.begin() as connection:
        _record_run(connection, connection_name, kind, started, outcome, counts, error)


def local_records(engine: Engine, connection_name: str, entity: str, active_only: bool = False) -> dict[str, dict]:
    """The records of one entity held for a connection, by sourcedId."""
    table = TABLES[entity]
    query = select(table.c.sourced_id, table.c.data).where(table.c.connection == connection_name)
    if active_only:
        query = query.where(table.c.status == "active")
    with engine.connect() as connection:
        return {row.sourced_id: row.data for row in connection.execute(query)}
