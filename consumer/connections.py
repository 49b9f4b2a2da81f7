"""Connections to providers, kept in the consumer's database: where, which version, which credentials."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import JSON, Column, Engine, String, Table, delete, insert, select

from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import OneRosterClient
from rosterlab.consumer.store import metadata

connections = Table(
    "sync_connections",
    metadata,
    Column("name", String, primary_key=True),
    Column("base_url", String, nullable=False),
    Column("version", String, nullable=False),
    Column("auth", JSON, nullable=False),  # method and credentials; secrets are never printed
)

SECRET_KEYS = ("secret", "client_secret", "password")


@dataclass(frozen=True)
class Connection:
    """One provider the consumer syncs from."""

    name: str
    base_url: str
    version: str
    auth: dict[str, Any]  # "kind" (oauth1 or oauth2) and the arguments of that authenticator

    def client(self) -> OneRosterClient:
        """A client for this provider."""
        auth = dict(self.auth)
        kind = auth.pop("kind")
        authenticator = OAuth1(**auth) if kind == "oauth1" else OAuth2(**auth)
        return OneRosterClient(self.base_url, authenticator)

    def public(self) -> dict[str, Any]:
        """The connection with its secrets masked, for display."""
        auth = {key: ("********" if key in SECRET_KEYS and value else value) for key, value in self.auth.items()}
        return {**asdict(self), "auth": auth}


def save(engine: Engine, connection: Connection) -> None:
    """Add or replace a connection."""
    metadata.create_all(engine)
    with engine.begin() as db:
        db.execute(delete(connections).where(connections.c.name == connection.name))
        db.execute(insert(connections), asdict(connection))


def load_all(engine: Engine) -> list[Connection]:
    """Every connection, by name."""
    metadata.create_all(engine)
    with engine.connect() as db:
        return [Connection(**row._mapping) for row in db.execute(select(connections).order_by(connections.c.name))]


def find(engine: Engine, name: str) -> Connection | None:
    """The connection called `name`."""
    return next((c for c in load_all(engine) if c.name == name), None)


def remove(engine: Engine, name: str) -> bool:
    """Remove a connection; False when there is none of that name."""
    metadata.create_all(engine)
    with engine.begin() as db:
        return bool(db.execute(delete(connections).where(connections.c.name == name)).rowcount)
