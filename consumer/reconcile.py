"""Apply one entity's pulled records to the local store, inside the sync's transaction.

Upserts by sourcedId, or for users by the connection's match key (a user whose sourcedId changed keeps its
local id); marks deletions (absence from a complete pull, or `tobedeleted`) unless the guard holds them;
refuses records it cannot key, and says why.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from rosterlab.consumer.matching import MatchKey
from rosterlab.consumer.sinks import Change
from rosterlab.consumer.store import TABLES, held

Record = dict[str, Any]
INSERT_BATCH = 2000
LOOKUP_BATCH = 500


@dataclass(frozen=True)
class DeletionGuard:
    """Hold deletions of a kind when they are more than `count` records and more than `share` of it."""

    count: int = 10
    share: float = 0.10

    def holds(self, deletions: int, existing: int) -> bool:
        return deletions > self.count and existing > 0 and deletions / existing > self.share


@dataclass
class Applied:
    """What applying one entity did."""

    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0, "rejected": 0}
    )
    held: int = 0
    changes: list[Change] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """Whose records these are."""

    connection: str
    tenant: str | None = None
    match: MatchKey = field(default_factory=MatchKey)


def _valid(entity: str, records: list[Any], target: Target, applied: Applied) -> dict[str, Record]:
    incoming: dict[str, Record] = {}
    for record in records:
        sourced_id = record.get("sourcedId") if isinstance(record, dict) else None
        if not isinstance(sourced_id, str) or not sourced_id:
            applied.counts["rejected"] += 1
            applied.rejections.append(f"{entity}: a record without a sourcedId")
        elif entity == "user" and target.match.key != "sourcedId" and target.match.value(record) is None:
            applied.counts["rejected"] += 1
            applied.rejections.append(f"user {sourced_id}: no {target.match.key} to match it by")
        else:
            incoming[sourced_id] = record
    return incoming


def _existing(connection: Connection, table, name: str, wanted: dict[str, Record] | None) -> dict[str, Any]:
    """The stored rows of a connection: all of them, or only those whose sourcedIds are `wanted` (a delta
    needs no more, and a district's worth of rows would cost more than the delta itself)."""
    columns = (table.c.sourced_id, table.c.local_id, table.c.status, table.c.match_value, table.c.data)
    mine = table.c.connection == name
    if wanted is None:
        rows = connection.execute(select(*columns).where(mine)).all()
    else:
        ids = list(wanted)
        rows = [
            row
            for start in range(0, len(ids), LOOKUP_BATCH)
            for row in connection.execute(
                select(*columns).where(mine, table.c.sourced_id.in_(ids[start : start + LOOKUP_BATCH]))
            )
        ]
    return {row.sourced_id: SimpleNamespace(**row._mapping) for row in rows}


def _active_count(connection: Connection, table, name: str) -> int:
    query = select(func.count()).select_from(table).where(table.c.connection == name, table.c.status == "active")
    return connection.execute(query).scalar_one()


def _rekey(connection: Connection, entity: str, target: Target, incoming: dict[str, Record], existing) -> None:
    """Give a user whose sourcedId changed (same match value) its new sourcedId, keeping its local id."""
    table = TABLES[entity]
    by_value = {row.match_value: row for row in existing.values() if row.match_value}
    for sourced_id, record in list(incoming.items()):
        if sourced_id in existing or record.get("status") == "tobedeleted":
            continue
        old = by_value.get(target.match.value(record))
        if old is None or old.sourced_id == sourced_id:
            continue
        if old.sourced_id in incoming:
            if incoming[old.sourced_id].get("status") != "tobedeleted":
                continue  # both ids are live: two users share the value, so neither is re-keyed
            del incoming[old.sourced_id]  # the old id's deletion is this user's new id
        connection.execute(
            update(table)
            .where(table.c.connection == target.connection, table.c.sourced_id == old.sourced_id)
            .values(sourced_id=sourced_id)
        )
        del existing[old.sourced_id]
        old.sourced_id = sourced_id
        existing[sourced_id] = old


def apply_entity(
    connection: Connection,
    target: Target,
    entity: str,
    records: list[Any],
    guard: DeletionGuard,
    complete: bool,
    track_changes: bool = True,
) -> Applied:
    """Apply one entity's records; absence means deletion only when the pull was `complete`. Without
    `track_changes` the changes are counted but not listed (nothing would read them)."""
    table = TABLES[entity]
    applied = Applied()
    incoming = _valid(entity, records, target, applied)
    matching = entity == "user" and target.match.key != "sourcedId"
    existing = _existing(connection, table, target.connection, None if complete or matching else incoming)
    if matching:
        _rekey(connection, entity, target, incoming, existing)
    deletions = [
        sid
        for sid, row in existing.items()
        if row.status == "active"
        and ((complete and sid not in incoming) or incoming.get(sid, {}).get("status") == "tobedeleted")
    ]
    hold = guard.holds(len(deletions), _active_count(connection, table, target.connection))
    connection.execute(delete(held).where(held.c.connection == target.connection, held.c.entity == entity))
    new_rows: list[dict] = []

    def event(action: str, sourced_id: str, local_id: str, record: Record) -> None:
        if track_changes:
            applied.changes.append(
                Change(target.connection, target.tenant, entity, action, sourced_id, local_id, record)
            )

    for sourced_id, record in incoming.items():
        if hold and sourced_id in deletions:
            continue
        old = existing.get(sourced_id)
        values = {
            "status": record.get("status", "active"),
            "date_last_modified": record.get("dateLastModified", ""),
            "match_value": target.match.value(record) if matching else None,
            "data": record,
        }
        if old is None:
            local_id = str(uuid.uuid4())
            new_rows.append({"connection": target.connection, "sourced_id": sourced_id, "local_id": local_id, **values})
            if len(new_rows) == INSERT_BATCH:
                connection.execute(insert(table), new_rows)
                new_rows = []
            applied.counts["created"] += 1
            event("created", sourced_id, local_id, record)
        elif old.data != record or old.status != values["status"] or old.match_value != values["match_value"]:
            connection.execute(
                update(table)
                .where(table.c.connection == target.connection, table.c.sourced_id == sourced_id)
                .values(**values)
            )
            action = "deleted" if values["status"] == "tobedeleted" else "updated"
            applied.counts[action] += 1
            event(action, sourced_id, old.local_id, record)
        else:
            applied.counts["unchanged"] += 1
    if new_rows:
        connection.execute(insert(table), new_rows)
    for sourced_id in deletions:
        if sourced_id in incoming or hold:
            continue
        connection.execute(
            update(table)
            .where(table.c.connection == target.connection, table.c.sourced_id == sourced_id)
            .values(status="tobedeleted")
        )
        applied.counts["deleted"] += 1
        event(
            "deleted", sourced_id, existing[sourced_id].local_id, {**existing[sourced_id].data, "status": "tobedeleted"}
        )
    if hold:
        connection.execute(
            insert(held), [{"connection": target.connection, "entity": entity, "sourced_id": sid} for sid in deletions]
        )
        applied.held = len(deletions)
    return applied
