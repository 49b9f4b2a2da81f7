"""Real databases for the tests: SQLite files, and PostgreSQL where it is reachable."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

POSTGRES_ADMIN = os.environ.get("ROSTERLAB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def postgres_reason() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can."""
    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN}: {error.__class__.__name__}"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for the duration; yields its SQLAlchemy URL."""
    reason = postgres_reason()
    if reason:
        pytest.skip(reason)
    name = f"rosterlab_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def engine_for(backend: str, folder) -> Iterator:
    """An empty store on "sqlite" (a file in `folder`) or "postgresql" (a new database, dropped after)."""
    from rosterlab.server.store.database import connect

    if backend == "sqlite":
        yield connect(f"sqlite:///{folder / 'store.db'}")
        return
    with fresh_postgres_database() as url:
        engine = connect(url)
        yield engine
        engine.dispose()
