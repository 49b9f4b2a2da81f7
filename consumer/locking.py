"""One sync of a connection at a time, across processes and hosts sharing the consumer's database.

A lock is a row naming the host and process that holds it. A lock left by a process that died on this
host (killed mid-sync, say) is taken over; one held by a live process, or by another host, refuses.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from rosterlab.consumer.client import SyncError
from rosterlab.consumer.store import locks, metadata


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def sync_lock(engine: Engine, connection_name: str) -> Iterator[None]:
    """Hold the connection's lock for the duration of the block; SyncError when another sync holds it."""
    metadata.create_all(engine)
    host, pid = socket.gethostname(), os.getpid()
    with engine.begin() as db:
        holder = db.execute(select(locks).where(locks.c.connection == connection_name)).first()
        if holder is not None:
            if holder.host != host or _alive(holder.pid):
                raise SyncError(
                    f"a sync of {connection_name!r} is already running (process {holder.pid} on {holder.host}, "
                    f"since {holder.since})"
                )
            db.execute(delete(locks).where(locks.c.connection == connection_name))
    try:
        with engine.begin() as db:
            since = datetime.now(UTC).isoformat(timespec="seconds")
            db.execute(insert(locks), {"connection": connection_name, "host": host, "pid": pid, "since": since})
    except IntegrityError:
        raise SyncError(f"a sync of {connection_name!r} has just started elsewhere") from None
    try:
        yield
    finally:
        with engine.begin() as db:
            db.execute(delete(locks).where(locks.c.connection == connection_name, locks.c.pid == pid))
