"""Apply one entity's pulled records to the local store, inside the sync's transaction.

Upserts by sourcedId, or for users by the connection's match key (a user whose sourcedId changed keeps its
local id); marks deletions (absence from a complete pull, `tobedeleted`, or gone for good) unless the guard
holds them, the status inside the stored record as well as beside it; refuses records it cannot key, and
those the sync rejected, and says why.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from rosterlab.consumer.matching import MatchKey
from rosterlab.consumer.sinks import Change
from rosterlab.consumer.store import TABLES, held
from rosterlab.spec.render import canonical_instant

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
    newest: str | None = None  # the newest dateLastModified among the records
    changes: list[Change] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """Whose records these are."""

    connection: str
    tenant: str | None = None
    match: MatchKey = field(default_factory=MatchKey)


def new_local_id() -> str:
    """A new local id: a time-ordered UUID (version 7: milliseconds, then random bits), so that a million new
    rows land at the end of the id index instead of all over it."""
    h = f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _insert(connection: Connection, table, name: str, rows: list[tuple]) -> None:
    """Insert new rows (sourcedId, local id, status, date, match value, record) in one statement run many times,
    the records serialised here: SQLAlchemy's per-row processing would cost more than the database's work."""
    postgres = connection.dialect.name == "postgresql"
    mark, document = ("%s", "CAST(%s AS JSON)") if postgres else ("?", "?")
    columns = ["connection", "sourced_id", "local_id", "status", "date_last_modified", "match_value", "data"]
    values = [mark] * 6 + [document]
    extra: tuple = ()
    if "pending" in table.c:
        columns.append("pending")
        values.append(mark)
        extra = (False,)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join(values)})"
    connection.exec_driver_sql(sql, [(name, *row[:5], orjson.dumps(row[5]).decode(), *extra) for row in rows])


def _valid(entity: str, records: Iterable[Any], target: Target, applied: Applied | None) -> Iterator[Record]:
    """The records that can be keyed; the others are counted and listed in `applied` (when given)."""
    for record in records:
        sourced_id = record.get("sourcedId") if isinstance(record, dict) else None
        if not isinstance(sourced_id, str) or not sourced_id:
            if applied is not None:
                applied.counts["rejected"] += 1
                applied.rejections.append(f"{entity}: a record without a sourcedId")
        elif entity == "user" and target.match.key != "sourcedId" and target.match.value(record) is None:
            if applied is not None:
                applied.counts["rejected"] += 1
                applied.rejections.append(f"user {sourced_id}: no {target.match.key} to match it by")
        else:
            yield record


def _batches(records: Iterable[Record], size: int) -> Iterator[dict[str, Record]]:
    """Records in batches by sourcedId (a later record of the same sourcedId replaces an earlier one)."""
    batch: dict[str, Record] = {}
    for record in records:
        batch[record["sourcedId"]] = record
        if len(batch) == size:
            yield batch
            batch = {}
    if batch:
        yield batch


def _rows(connection: Connection, table, name: str, ids: Iterable[str] | None) -> dict[str, Any]:
    """Stored rows of a connection by sourcedId: all of them, or those of `ids`."""
    columns = (table.c.sourced_id, table.c.local_id, table.c.status, table.c.match_value, table.c.data)
    mine = table.c.connection == name
    if ids is None:
        found = connection.execute(select(*columns).where(mine)).all()
    else:
        ids = list(ids)
        found = [
            row
            for start in range(0, len(ids), LOOKUP_BATCH)
            for row in connection.execute(
                select(*columns).where(mine, table.c.sourced_id.in_(ids[start : start + LOOKUP_BATCH]))
            )
        ]
    return {row.sourced_id: SimpleNamespace(**row._mapping) for row in found}


def _active_ids(connection: Connection, table, name: str) -> set[str]:
    query = select(table.c.sourced_id).where(table.c.connection == name, table.c.status == "active")
    return set(connection.execute(query).scalars())


def _pending_ids(connection: Connection, table, name: str) -> set[str]:
    """Gradebook items written locally and not yet pushed."""
    if "pending" not in table.c:
        return set()
    query = select(table.c.sourced_id).where(table.c.connection == name, table.c.pending.is_(True))
    return set(connection.execute(query).scalars())


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


@dataclass
class Incoming:
    """One entity's pulled records, and what the sync decided about them before applying them."""

    records: Iterable[Any]  # any re-iterable: a list, a spool
    complete: bool = False  # absence from the records means deletion
    rejected: Mapping[str, str] = field(default_factory=dict)  # sourcedId -> why it is not applied
    gone: set[str] = field(default_factory=set)  # deleted whatever the records say


def tombstone(connection: Connection, table, name: str, ids: list[str]) -> dict[str, Any]:
    """Mark stored records tobedeleted, the status inside each record too; their rows before."""
    rows = _rows(connection, table, name, ids)
    statement = (
        update(table)
        .where(table.c.connection == name, table.c.sourced_id == bindparam("sid"))
        .values(status="tobedeleted", data=bindparam("document", type_=table.c.data.type))
    )
    if rows:
        connection.execute(
            statement, [{"sid": sid, "document": {**row.data, "status": "tobedeleted"}} for sid, row in rows.items()]
        )
    return rows


def apply_entity(
    connection: Connection,
    target: Target,
    entity: str,
    incoming: Incoming,
    guard: DeletionGuard,
    track_changes: bool = True,
) -> Applied:
    """Apply one entity's records; absence means deletion only when the pull was complete. Records are walked
    twice, once for their sourcedIds and once in batches to write them, so a million of them need not be in
    memory at once. A record that arrives tobedeleted and is not held is not created; a record written
    locally and not yet pushed (`pending`) is neither overwritten nor deleted by a pull. Without
    `track_changes` the changes are counted but not listed (nothing would read them)."""
    table = TABLES[entity]
    applied = Applied()
    name = target.connection
    rejected = incoming.rejected
    records = incoming.records
    if entity == "user" and target.match.key != "sourcedId":
        valid = _valid(entity, records, target, applied)
        keyed = {record["sourcedId"]: record for record in valid if record["sourcedId"] not in rejected}
        _rekey(connection, entity, target, keyed, _rows(connection, table, name, None))
        source, matching = list(keyed.values()), True
        first_walk: Iterable[Record] = source
    else:
        source, matching = records, False
        first_walk = _valid(entity, source, target, applied)
    seen: set[str] = set(rejected)  # a rejected record is not deleted for its absence
    doomed: set[str] = set()  # sent as tobedeleted
    stamps: set[str] = set()
    for record in first_walk:
        sourced_id = record["sourcedId"]
        if sourced_id in rejected:
            continue
        seen.add(sourced_id)
        stamps.add(record.get("dateLastModified") or "")
        if record.get("status") == "tobedeleted":
            doomed.add(sourced_id)
        else:
            doomed.discard(sourced_id)
    applied.counts["rejected"] += len(rejected)
    applied.rejections += rejected.values()
    stamps.discard("")
    applied.newest = max(map(canonical_instant, stamps), default=None)
    active = _active_ids(connection, table, name)
    stored = bool(active) or connection.execute(select(table.c.sourced_id).where(table.c.connection == name)).first()
    pending = _pending_ids(connection, table, name)
    deletions = {
        sid for sid in active if (incoming.complete and sid not in seen) or sid in doomed or sid in incoming.gone
    } - pending
    hold = guard.holds(len(deletions), len(active))
    connection.execute(delete(held).where(held.c.connection == name, held.c.entity == entity))

    def event(action: str, sourced_id: str, local_id: str, record: Record) -> None:
        if track_changes:
            applied.changes.append(Change(name, target.tenant, entity, action, sourced_id, local_id, record))

    kept = (record for record in _valid(entity, source, target, None) if record["sourcedId"] not in rejected)
    for batch in _batches(kept, INSERT_BATCH):
        existing = _rows(connection, table, name, batch) if stored else {}
        new_rows: list[tuple] = []
        for sourced_id, record in batch.items():
            if hold and sourced_id in deletions:
                continue
            old = existing.get(sourced_id)
            values = {
                "status": record.get("status", "active"),
                "date_last_modified": record.get("dateLastModified", ""),
                "match_value": target.match.value(record) if matching else None,
                "data": record,
            }
            if old is None and values["status"] == "tobedeleted":
                applied.counts["unchanged"] += 1  # deleted before it was ever held: nothing to create
            elif old is None:
                local_id = new_local_id()
                new_rows.append((sourced_id, local_id, values["status"], values["date_last_modified"],
                                 values["match_value"], record))  # fmt: skip
                applied.counts["created"] += 1
                event("created", sourced_id, local_id, record)
            elif sourced_id in pending:
                applied.counts["unchanged"] += 1  # a local change not pushed yet wins until it is
            elif old.data != record or old.status != values["status"] or old.match_value != values["match_value"]:
                connection.execute(
                    update(table).where(table.c.connection == name, table.c.sourced_id == sourced_id).values(**values)
                )
                action = "deleted" if values["status"] == "tobedeleted" else "updated"
                applied.counts[action] += 1
                event(action, sourced_id, old.local_id, record)
            else:
                applied.counts["unchanged"] += 1
        if new_rows:
            _insert(connection, table, name, new_rows)
    absent = sorted(sid for sid in deletions if sid not in doomed)
    if not hold:
        for start in range(0, len(absent), LOOKUP_BATCH):
            rows = tombstone(connection, table, name, absent[start : start + LOOKUP_BATCH])
            applied.counts["deleted"] += len(rows)
            for sid, row in rows.items():
                event("deleted", sid, row.local_id, {**row.data, "status": "tobedeleted"})
    else:
        rows = [{"connection": name, "entity": entity, "sourced_id": sid} for sid in sorted(deletions)]
        connection.execute(insert(held), rows)
        applied.held = len(deletions)
    return applied
