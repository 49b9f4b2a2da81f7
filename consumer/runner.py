"""Run a stored connection's sync: open its source, pull, reconcile, record. Used by the CLI, the agent and
background requests alike."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Engine

from rosterlab.consumer import connections as registry
from rosterlab.consumer.connections import Connection
from rosterlab.consumer.errors import UnknownConnection
from rosterlab.consumer.sources.rest import RestSource, detect_version
from rosterlab.consumer.sync import SyncResult, delta_sync, full_sync


def run_connection(
    engine: Engine, connection: Connection | str, delta: bool = False, upload: bytes | None = None, **overrides: Any
) -> SyncResult:
    """Sync one connection (or the connection of that name) now; raises SyncError or AuthError (and applies
    nothing) when it fails, UnknownConnection when there is no such connection."""
    if connection is None:
        raise UnknownConnection("no connection given (was the name found? `find` returns None when it is not)")
    if isinstance(connection, str):
        connection = registry.get(engine, connection)
    sync = delta_sync if delta else full_sync
    options = connection.options(**overrides)
    if connection.source != "rest":
        return sync(engine, connection.name, connection.open_source(engine, upload=upload), options)
    with connection.client() as client:
        version = connection.version
        if version == "auto":
            version = detect_version(client, connection.entities)
            registry.save(engine, replace(connection, version=version))
        return sync(engine, connection.name, RestSource(client, version, connection.concurrency), options)
