"""The consumer's local store: one table per synced entity, keyed by connection and external sourcedId,
each record with a stable local id; the history of syncs, held deletions, high-water marks (one per entity)
and run locks."""

from __future__ import annotations

import orjson
from sqlalchemy import JSON, Boolean, Column, Engine, Integer, MetaData, String, Table, Text, create_engine, event

ROSTER = ("org", "academicSession", "course", "class", "user", "enrollment", "demographics")
GRADEBOOK = ("category", "lineItem", "result")
SYNCED = ROSTER + GRADEBOOK

metadata = MetaData()


def _table(entity: str) -> Table:
    columns = [
        Column("connection", String, primary_key=True),
        Column("sourced_id", String, primary_key=True),
        Column("local_id", String, nullable=False, unique=True),
        Column("status", String, nullable=False),
        Column("date_last_modified", String, nullable=False),
        Column("match_value", String, nullable=True, index=True),  # the connection's match key, for users
        Column("data", JSON, nullable=False),
    ]
    if entity in GRADEBOOK:
        columns.append(Column("pending", Boolean, nullable=False, default=False))  # written locally, not pushed
    return Table(f"sync_{entity.lower()}", metadata, *columns)


TABLES: dict[str, Table] = {entity: _table(entity) for entity in SYNCED}

runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("connection", String, nullable=False, index=True),
    Column("kind", String, nullable=False),  # full, delta or push
    Column("origin", String, nullable=False, default="manual"),  # manual, scheduled or requested
    Column("job_id", String, nullable=True, index=True),
    Column("started", String, nullable=False),
    Column("finished", String, nullable=True),
    Column("seconds", String, nullable=True),
    Column("outcome", String, nullable=False),  # applied, held, failed
    Column("counts", JSON, nullable=True),
    Column("rejections", JSON, nullable=True),  # why records were refused (the first ones)
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

marks = Table(
    "sync_marks",
    metadata,
    Column("connection", String, primary_key=True),
    Column("entity", String, primary_key=True),
    Column("high_water", String, nullable=True),  # newest dateLastModified of the entity seen by the last sync
)

locks = Table(
    "sync_locks",
    metadata,
    Column("connection", String, primary_key=True),
    Column("host", String, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("since", String, nullable=False),
)

requests = Table(
    "sync_requests",
    metadata,
    Column("job_id", String, primary_key=True),
    Column("connection", String, nullable=False, index=True),
    Column("kind", String, nullable=False),
    Column("status", String, nullable=False),  # accepted, running, succeeded, failed
    Column("accepted", String, nullable=False),
    Column("message", Text, nullable=True),
)


progress = Table(
    "sync_progress",
    metadata,
    Column("job_id", String, primary_key=True),
    Column("entity", String, primary_key=True),
    Column("received", Integer, nullable=False),
    Column("total", Integer, nullable=True),
)


def connect_store(database_url: str) -> Engine:
    """The consumer's database (a SQLite file or a PostgreSQL URL), its tables created."""
    engine = create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        json_serializer=lambda value: orjson.dumps(value).decode(),
        json_deserializer=orjson.loads,
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_settings)
    metadata.create_all(engine)
    return engine


def _sqlite_settings(connection, _record) -> None:
    cursor = connection.cursor()
    # Readers (the CLI's status, the agent) are not blocked by a sync writing, nor it by them.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A district's rows in three indexes do not fit SQLite's default 2 MB cache; 64 MB keeps inserts cheap.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
