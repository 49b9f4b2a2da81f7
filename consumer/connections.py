"""Connections to providers, kept in the consumer's database: the source, its credentials, and how to sync it.

Secrets (client secrets, passwords) are stored as given, in the consumer's own database, and never printed:
`public()` masks them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqlalchemy import JSON, Column, Engine, String, Table, delete, insert, select, update

from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient, SyncError
from rosterlab.consumer.errors import UnknownConnection
from rosterlab.consumer.matching import MatchKey
from rosterlab.consumer.reconcile import DeletionGuard
from rosterlab.consumer.selection import Selection
from rosterlab.consumer.sources import CsvSource, RestSource, SftpLocation, SftpSource, Source
from rosterlab.consumer.store import ROSTER, SYNCED, metadata
from rosterlab.consumer.sync import SyncOptions

connections = Table(
    "sync_connections",
    metadata,
    Column("name", String, primary_key=True),
    Column("settings", JSON, nullable=False),  # every field of a Connection but its name
)

SECRET_KEYS = ("secret", "client_secret", "password")
SOURCES = ("rest", "csv", "sftp")


@dataclass(frozen=True)
class Connection:
    """One provider the consumer syncs from, and how."""

    name: str
    source: str = "rest"  # rest, csv or sftp
    base_url: str = ""
    version: str = "1.2"  # 1.1, 1.2, or auto (detected at the first sync) for REST
    auth: dict[str, Any] = field(default_factory=dict)  # "kind" (oauth1/oauth2) and that authenticator's arguments
    sftp: dict[str, Any] = field(default_factory=dict)  # the fields of an SftpLocation
    csv_path: str = ""  # the bundle a CSV connection reads when none is uploaded
    match_key: str = "sourcedId"
    username_suffix: str = ""
    tenant: str | None = None
    gradebook: bool = False  # also categories, line items and results (REST)
    schools: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    schedule: dict[str, Any] = field(default_factory=dict)  # see rosterlab.consumer.schedules
    concurrency: int = 4
    guard_count: int = 10
    guard_share: float = 0.10

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}: use one of {', '.join(SOURCES)}")
        MatchKey(self.match_key)  # refuses an unknown key now rather than at the first sync

    def client(self) -> OneRosterClient:
        """A REST client for this provider."""
        auth = dict(self.auth)
        kind = auth.pop("kind")
        authenticator = OAuth1(**auth) if kind == "oauth1" else OAuth2(**auth)
        return OneRosterClient(self.base_url, authenticator, ClientSettings())

    def open_source(self, engine: Engine, client: OneRosterClient | None = None, upload: bytes | None = None) -> Source:
        """The source to pull from (a REST client must be open for a REST source)."""
        if self.source == "rest":
            if client is None:
                raise ValueError("a REST source needs an open client")
            return RestSource(client, self.version, self.concurrency)
        if self.source == "csv":
            if upload is None and not self.csv_path:
                raise SyncError(f"connection {self.name!r} reads CSV uploads: give the bundle to sync")
            return CsvSource(upload if upload is not None else _reader(self.csv_path))
        location = SftpLocation(**self.sftp)
        return SftpSource(location, on_new_host_key=lambda key: pin_host_key(engine, self.name, key))

    @property
    def entities(self) -> tuple[str, ...]:
        """What a sync of this connection pulls: the roster, and the gradebook when asked for."""
        return SYNCED if self.gradebook else ROSTER

    def options(self, **overrides: Any) -> SyncOptions:
        """The sync options this connection asks for."""
        return SyncOptions(
            entities=self.entities,
            guard=DeletionGuard(self.guard_count, self.guard_share),
            selection=Selection.of(self.schools, self.grades, self.subjects),
            match=MatchKey(self.match_key, self.username_suffix),
            tenant=self.tenant,
            **overrides,
        )

    def public(self) -> dict[str, Any]:
        """The connection with its secrets masked, for display."""
        data = asdict(self)
        for part in ("auth", "sftp"):
            data[part] = {k: ("********" if k in SECRET_KEYS and v else v) for k, v in data[part].items()}
        return data

    def settings(self) -> dict[str, Any]:
        data = asdict(self)
        del data["name"]
        return data

    @classmethod
    def from_settings(cls, name: str, settings: dict[str, Any]) -> Connection:
        known = {f.name for f in fields(cls)}
        values = {
            k: tuple(v) if k in ("schools", "grades", "subjects") else v for k, v in settings.items() if k in known
        }
        return cls(name=name, **values)


def _reader(path: str):
    def read() -> bytes:
        try:
            with open(path, "rb") as bundle:
                return bundle.read()
        except OSError as error:
            raise SyncError(f"cannot read the CSV bundle {path}: {error.strerror}") from None

    return read


def save(engine: Engine, connection: Connection) -> None:
    """Add or replace a connection."""
    metadata.create_all(engine)
    with engine.begin() as db:
        db.execute(delete(connections).where(connections.c.name == connection.name))
        db.execute(insert(connections), {"name": connection.name, "settings": connection.settings()})


def load_all(engine: Engine) -> list[Connection]:
    """Every connection, by name."""
    metadata.create_all(engine)
    with engine.connect() as db:
        rows = db.execute(select(connections).order_by(connections.c.name))
        return [Connection.from_settings(row.name, row.settings) for row in rows]


def find(engine: Engine, name: str) -> Connection | None:
    """The connection called `name`, or None."""
    metadata.create_all(engine)
    with engine.connect() as db:
        row = db.execute(select(connections).where(connections.c.name == name)).first()
    return Connection.from_settings(row.name, row.settings) if row else None


def get(engine: Engine, name: str) -> Connection:
    """The connection called `name`; UnknownConnection names it (and the connections there are) when none is."""
    found = find(engine, name)
    if found is None:
        names = [c.name for c in load_all(engine)]
        known = f"the connections are: {', '.join(names)}" if names else "there are no connections yet"
        raise UnknownConnection(f"no connection is called {name!r}; {known}")
    return found


def remove(engine: Engine, name: str) -> bool:
    """Remove a connection; False when there is none of that name."""
    metadata.create_all(engine)
    with engine.begin() as db:
        return bool(db.execute(delete(connections).where(connections.c.name == name)).rowcount)


def pin_host_key(engine: Engine, name: str, host_key: str) -> None:
    """Record the SFTP host key first seen for a connection; later fetches must present the same one."""
    with engine.begin() as db:
        row = db.execute(select(connections).where(connections.c.name == name)).first()
        if row is None or row.settings.get("sftp", {}).get("host_key"):
            return
        settings = {**row.settings, "sftp": {**row.settings["sftp"], "host_key": host_key}}
        db.execute(update(connections).where(connections.c.name == name).values(settings=settings))
