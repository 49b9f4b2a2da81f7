"""The store's revision: a number that every committed change to the data raises.

Readers that keep something derived from the data (the ordered keys of a large result, say) keep it under
the revision they read, and know it is stale as soon as the number moves. Every engine opened by
`rosterlab.server.store.database.connect` raises it within the writing transaction, whichever process
writes (the server, `rosterlab sis advance`, a CSV import), so several workers on one PostgreSQL agree.
"""

from __future__ import annotations

import re
import weakref

from sqlalchemy import Column, Connection, Engine, Integer, Table, event, select

from rosterlab.server.store.tables import ENTITY_TABLES, links, state_metadata

store_revision = Table(
    "store_revision",
    state_metadata,
    Column("id", Integer, primary_key=True),
    Column("value", Integer, nullable=False),
)

_DATA_TABLES = frozenset([*(table.name for table in ENTITY_TABLES.values()), links.name])
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_BUMPED = "rosterlab_revision_bumped"
_ENSURED: weakref.WeakSet[Engine] = weakref.WeakSet()


def seed_revision(connection: Connection) -> None:
    """Give the revision its row when it has none."""
    if connection.execute(select(store_revision.c.value)).first() is None:
        connection.execute(store_revision.insert().values(id=1, value=0))


def current_revision(connection: Connection) -> int | None:
    """The revision as committed (None for a store created before revisions were kept)."""
    return connection.execute(select(store_revision.c.value).where(store_revision.c.id == 1)).scalar()


def _after_execute(connection, cursor, statement, parameters, context, executemany) -> None:
    if connection.info.get(_BUMPED):
        return
    match = _WRITE.match(statement)
    if match is None or match.group(1).lower() not in _DATA_TABLES:
        return
    # A cursor of its own, so that the writer's rowcount is left as it was.
    bump = connection.connection.cursor()
    try:
        if connection.engine not in _ENSURED:  # a store made before revisions were kept gets its row now
            bump.execute("CREATE TABLE IF NOT EXISTS store_revision (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
            bump.execute(
                "INSERT INTO store_revision (id, value) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM store_revision)"
            )
            _ENSURED.add(connection.engine)
        bump.execute("UPDATE store_revision SET value = value + 1 WHERE id = 1")
    finally:
        bump.close()
    connection.info[_BUMPED] = True


def _end_of_transaction(connection, *_args) -> None:
    connection.info.pop(_BUMPED, None)


def _checked_in(_dbapi_connection, record) -> None:
    record.info.pop(_BUMPED, None)


def track_revisions(engine: Engine) -> None:
    """Raise the revision once in every transaction that writes the data."""
    if event.contains(engine, "after_cursor_execute", _after_execute):
        return
    event.listen(engine, "after_cursor_execute", _after_execute)
    for name in ("commit", "rollback"):
        event.listen(engine, name, _end_of_transaction)
    event.listen(engine.pool, "checkin", _checked_in)
