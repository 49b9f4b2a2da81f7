"""High-water marks, one per entity of a connection, and where a delta starts from them.

Providers built on views refresh each collection at its own moment, so one mark for all entities would move
past a change that a collection refreshed later has not shown yet. Each entity keeps the newest
dateLastModified its own pulls saw. A delta asks from a little before a recent mark (the overlap window: a
change stamped just before it may have been committed after the pull that set it), and from a millisecond
after a mark once it is settled (older than the last pull by an hour: every change stamped then was surely
committed and seen; otherwise a district loaded in bulk, every record with one stamp, would be read whole by
every delta). An entity without a mark is pulled whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from sqlalchemy import Connection, Engine, delete, insert, select

from rosterlab.consumer.store import marks, metadata, runs, state
from rosterlab.spec.filter.fields import format_instant, parse_instant

SETTLED = timedelta(hours=1)  # how long after its stamp a provider's change is surely committed
OVERLAP = timedelta(minutes=10)  # how far before a recent mark a delta asks from
PULLS = ("full", "delta")


def stored_marks(connection: Connection, name: str) -> dict[str, str | None]:
    """The marks of a connection by entity; a connection synced before marks were kept per entity has one
    mark for all, returned under every entity it may concern (`*`)."""
    rows = connection.execute(select(marks.c.entity, marks.c.high_water).where(marks.c.connection == name)).all()
    if rows:
        return dict(rows)
    legacy = connection.execute(select(state.c.high_water).where(state.c.connection == name)).scalar()
    return {"*": legacy} if legacy else {}


def mark_of(found: Mapping[str, str | None], entity: str) -> str | None:
    return found.get(entity, found.get("*"))


def delta_starts(engine: Engine, name: str, entities: Iterable[str]) -> dict[str, str | None]:
    """Where a delta of each entity starts (None: the entity is pulled whole)."""
    metadata.create_all(engine)
    query = (
        select(runs.c.started)
        .where(runs.c.connection == name, runs.c.kind.in_(PULLS), runs.c.outcome.in_(("applied", "held")))
        .order_by(runs.c.id.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        found = stored_marks(connection, name)
        last_pull = connection.execute(query).scalar()
    return {entity: start_from(mark_of(found, entity), last_pull) for entity in entities}


def start_from(mark: str | None, last_pull: str | None) -> str | None:
    """The instant a delta asks from (`dateLastModified>=`), given an entity's mark and the last pull."""
    if mark is None:
        return None
    moment = parse_instant(mark)
    if last_pull is not None and moment + SETTLED < parse_instant(last_pull):
        return format_instant(moment + timedelta(milliseconds=1))
    return format_instant(moment - OVERLAP)


def save_marks(connection: Connection, name: str, new: Mapping[str, str | None]) -> None:
    """Replace a connection's marks (and its single newest mark, kept for older readers)."""
    connection.execute(delete(marks).where(marks.c.connection == name))
    if new:
        connection.execute(insert(marks), [{"connection": name, "entity": e, "high_water": m} for e, m in new.items()])
    newest = max((m for m in new.values() if m), default=None)
    connection.execute(delete(state).where(state.c.connection == name))
    connection.execute(insert(state), {"connection": name, "high_water": newest})
