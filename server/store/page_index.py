"""Ordered keys of large results, so that a deep offset costs what the first page costs.

With OFFSET the database steps over every earlier row, so the last page of a million enrollments would take
hundreds of times longer than the first, and a client walking every page would spend quadratic time. For a
result of more than `DEEP_OFFSET` rows, the first request beyond that offset reads the result's sourcedIds
once, in order, and keeps them under the store's revision; later pages of the same query take their slice
and fetch only those rows. Totals are kept the same way. A write raises the revision, so nothing stale is
served; each server process keeps its own index, bounded by `MAX_KEYS`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import Connection, Select

from rosterlab.server.store.revision import current_revision

DEEP_OFFSET = 5_000
MAX_KEYS = 4_000_000  # sourcedIds kept across every cached result, per process


class _Cache:
    """A least-recently-used map whose entries weigh what they hold."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.weight = 0
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            self.entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: object, weight: int = 1) -> None:
        if weight > self.capacity:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            self.entries[key] = (value, weight)
            self.weight += weight
            while self.weight > self.capacity:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.weight -= dropped

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.weight = 0


_TOTALS = _Cache(10_000)
_KEYS = _Cache(MAX_KEYS)


def _signature(connection: Connection, statement: Select) -> Hashable:
    compiled = statement.compile(dialect=connection.dialect)
    params = tuple(sorted((name, repr(value)) for name, value in compiled.params.items()))
    return (str(connection.engine.url), compiled.string, params)


def _remembered(connection: Connection, cache: _Cache, statement: Select, compute: Callable[[], object], weigh):
    revision = current_revision(connection)
    if revision is None:
        return compute()
    key = (_signature(connection, statement), revision)
    value = cache.get(key)
    if value is None:
        value = compute()
        # Kept only when no write landed meanwhile; otherwise the value may belong to either revision.
        if current_revision(connection) == revision:
            cache.put(key, value, weigh(value))
    return value


def total(connection: Connection, count: Select) -> int:
    """The result of a count query, remembered until the store changes."""
    return _remembered(connection, _TOTALS, count, lambda: connection.execute(count).scalar_one(), lambda _: 1)


def ordered_keys(connection: Connection, keys: Select) -> list[str]:
    """Every sourcedId of an ordered query of sourcedIds, remembered until the store changes."""
    return _remembered(connection, _KEYS, keys, lambda: list(connection.execute(keys).scalars()), len)


def forget() -> None:
    """Drop everything remembered (for tests and benchmarks)."""
    _TOTALS.clear()
    _KEYS.clear()
