"""Collections served from views refreshed separately, as a provider built on materialised views serves them.

Each collection (the entity it returns) reads from its own snapshot of the store: a connection held in a
transaction that sees the data as it was when the snapshot was taken (PostgreSQL's REPEATABLE READ, SQLite's
read transaction in WAL mode). Every view is refreshed once per period, each at its own moment in the period,
so after a change one collection shows it while another does not yet. A refresh happens at the first read
after its moment.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from rosterlab.server.quirks.data_faults import rank
from rosterlab.spec.entities import V1P2

VIEWED = tuple(sorted(entity.name for entity in V1P2.entities))


def phase(entity_name: str, period: float, seed: int = 0) -> float:
    """Seconds into each period at which the view of `entity_name` is refreshed: the views spread evenly over
    the period, in an order drawn from the seed."""
    order = sorted(VIEWED, key=lambda name: rank(seed, "view", name))
    return period * order.index(entity_name) / len(order)


def last_refresh_moment(entity_name: str, period: float, seed: int, now: float) -> float:
    """The latest moment, at or before `now`, at which the view of `entity_name` is due to be refreshed."""
    offset = phase(entity_name, period, seed)
    return ((now - offset) // period) * period + offset


class _View:
    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.taken = float("-inf")
        self.lock = threading.Lock()


class Views:
    """One snapshot of the store per viewed entity, each refreshed every `period` seconds at its moment."""

    def __init__(self, engine: Engine, period: float, seed: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.engine, self.period, self.seed, self.clock = engine, period, seed, clock
        self.views = {name: _View() for name in VIEWED}

    @contextmanager
    def reading(self, entity_name: str) -> Iterator[Connection]:
        """A connection that reads the view of `entity_name` (refreshed first when it is due)."""
        view = self.views[entity_name]
        with view.lock:
            now = self.clock()
            if view.connection is None or view.taken < last_refresh_moment(entity_name, self.period, self.seed, now):
                self._refresh(view)
                view.taken = now
            assert view.connection is not None
            yield view.connection

    def _refresh(self, view: _View) -> None:
        if view.connection is not None:
            view.connection.rollback()
            view.connection.close()
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        else:
            connection = self.engine.connect()
            connection.exec_driver_sql("BEGIN")
        connection.execute(text("SELECT count(*) FROM store_revision"))  # the snapshot starts at the first read
        view.connection = connection

    def close(self) -> None:
        """End every snapshot."""
        for view in self.views.values():
            with view.lock:
                if view.connection is not None:
                    view.connection.rollback()
                    view.connection.close()
                    view.connection = None
