"""The SIS's clock: one instant for every change, whoever makes it, only ever moving forward.

The clock is where the last change left it, and never before the newest record. Every writer (the days of
`rosterlab sis advance`, `sis set` and `sis delete`, the admin API, gradebook writes, CSV imports) takes its
instant from here with `next_stamp`, so that a `dateLastModified>` delta taken before a change sees it,
and a later advance goes on from the newest change rather than from the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, select, update

from rosterlab.server.store.tables import ENTITY_TABLES, sis_state
from rosterlab.spec.filter.fields import format_instant, parse_instant

CLOCK_KEY = "clock"
TICK = timedelta(milliseconds=1)


def _stored(connection: Connection) -> str | None:
    return connection.execute(select(sis_state.c.value).where(sis_state.c.key == CLOCK_KEY)).scalar()


def _newest_record(connection: Connection) -> str:
    return max(
        (connection.execute(select(func.max(t.c.date_last_modified))).scalar() or "" for t in ENTITY_TABLES.values()),
        default="",
    )


def clock(connection: Connection) -> datetime:
    """The SIS's clock: where the last change left it, and never before the newest record (the wall clock
    for a store that has neither)."""
    candidates = [parse_instant(value) for value in (_stored(connection), _newest_record(connection)) if value]
    return max(candidates) if candidates else datetime.now(UTC)


def _hold(connection: Connection) -> None:
    """Take the clock for this transaction (its row written first), so that concurrent writers stamp one
    after the other and never share an instant."""
    held = connection.execute(update(sis_state).where(sis_state.c.key == CLOCK_KEY).values(value=sis_state.c.value))
    if held.rowcount == 0:
        connection.execute(sis_state.insert(), {"key": CLOCK_KEY, "value": format_instant(clock(connection))})


def set_clock(connection: Connection, stamp: str) -> None:
    """Move the clock on to `stamp` (never back)."""
    moment = max(parse_instant(stamp), clock(connection))
    connection.execute(sis_state.delete().where(sis_state.c.key == CLOCK_KEY))
    connection.execute(sis_state.insert(), {"key": CLOCK_KEY, "value": format_instant(moment)})


def next_stamp(connection: Connection) -> str:
    """The instant of an explicit change: a millisecond after the SIS's clock, which moves on to it."""
    _hold(connection)
    stamp = format_instant(clock(connection) + TICK)
    set_clock(connection, stamp)
    return stamp
