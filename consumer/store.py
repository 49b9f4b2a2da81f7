"""The consumer's local store: one table per synced entity, keyed by connection and external sourcedId,
each record with a stable local id; and the history of syncs."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text

SYNCED = ("org", "academicSession", "course", "class", "user", "enrollment", "demographics")

metadata = MetaData()


def _table(entity: str) -> Table:
    return Table(
        f"sync_{entity.lower()}",
        metadata,
        Column("connection", String, primary_key=True),
        Column("sourced_id", String, primary_key=True),
        Column("local_id", String, nullable=False, unique=True),
        Column("status", String, nullable=False),
        Column("date_last_modified", String, nullable=False),
        Column("data", JSON, nullable=False),
    )


TABLES: dict[str, Table] = {entity: _table(entity) for entity in SYNCED}

runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String, nullable=False, index=True),
    Column("kind", String, nullable=False),  # full or delta
    Column("started", String, nullable=False),
    Column("finished", String, nullable=True),
    Column("outcome", String, nullable=False),  # applied, held, failed
    Column("counts", JSON, nullable=True),
    Column("error", Text, nullable=True),
)

held = Table(
    "sync_held_deletions",
    metadata,
    Column("connection", String, primary_key=True),
    Column("entity", String, primary_key=True),
    Column("sourced_id", String, primary_key=True),
)

state = Table(
    "sync_state",
    metadata,
    Column("connection", String, primary_key=True),
    Column("high_water", String, nullable=True),  # newest dateLastModified of the last successful sync
)
