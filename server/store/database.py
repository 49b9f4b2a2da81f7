"""Create SQLAlchemy engines for SQLite files and PostgreSQL URLs."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from rosterlab.server.store.revision import track_revisions

DEFAULT_URL = "sqlite:///rosterlab.db"


def _dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def normalise_url(url: str) -> str:
    """Accept `postgresql://` (use psycopg 3) and bare file paths (SQLite)."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def connect(url: str = DEFAULT_URL) -> Engine:
    """An engine for `url`, with JSON written compactly by orjson."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, json_serializer=_dumps, json_deserializer=orjson.loads)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # pragma: no cover - trivial
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    else:
        engine = create_engine(url, json_serializer=_dumps, json_deserializer=orjson.loads, pool_pre_ping=True)
    track_revisions(engine)
    return engine
