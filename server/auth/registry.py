"""The client registry, issued tokens and used OAuth 1.0a nonces, in the server's database.

Every worker of a server shares them through the database, so a token issued by one worker is honoured by
the others and a nonce used at one is refused at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from rosterlab.server.auth.secrets import SecretBox, check_secret, hash_secret, new_secret, token_digest
from rosterlab.spec import scopes as sc

auth_metadata = MetaData()

clients = Table(
    "clients",
    auth_metadata,
    Column("client_id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("secret_hash", String, nullable=False),
    Column("secret_sealed", String, nullable=False),
    Column("scopes", String, nullable=False),  # short scope names, space-separated
    Column("orgs", String, nullable=False, default=""),  # org sourcedIds the client is restricted to
    Column("username", String, nullable=True),  # account for the password grant
    Column("password_hash", String, nullable=True),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created", String, nullable=False),
)

tokens = Table(
    "oauth2_tokens",
    auth_metadata,
    Column("digest", String, primary_key=True),
    Column("client_id", String, nullable=False, index=True),
    Column("scopes", String, nullable=False),
    Column("expires_at", Float, nullable=True),  # epoch seconds; None never expires
)

nonces = Table(
    "oauth1_nonces",
    auth_metadata,
    Column("client_id", String, primary_key=True),
    Column("nonce", String, primary_key=True),
    Column("timestamp", Float, nullable=False, index=True),
)

ALL_SCOPES = tuple(sc.DESCRIPTIONS)


@dataclass(frozen=True)
class Client:
    """A registered client: what it may read, and for which orgs."""

    client_id: str
    name: str
    scopes: frozenset[str]
    orgs: tuple[str, ...]
    revoked: bool
    username: str | None = None


@dataclass(frozen=True)
class NewClient:
    """A client as just created: the only time its secret is known in the clear."""

    client: Client
    secret: str
    password: str | None = None


def _client(row) -> Client:
    return Client(
        client_id=row.client_id,
        name=row.name,
        scopes=frozenset(row.scopes.split()),
        orgs=tuple(row.orgs.split()),
        revoked=row.revoked,
        username=row.username,
    )


class Registry:
    """Clients, tokens and nonces over one engine."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self.engine = engine
        self.box = box
        auth_metadata.create_all(engine)

    # -- clients ---------------------------------------------------------------------------

    def add(
        self,
        name: str,
        scopes: tuple[str, ...] = ALL_SCOPES,
        orgs: tuple[str, ...] = (),
        *,
        client_id: str | None = None,
        secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> NewClient:
        """Register a client; the secret (given or generated) is returned once and stored hashed and sealed."""
        unknown = sorted(set(scopes) - set(ALL_SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)}")
        client_id = client_id or "rl-" + secrets.token_hex(8)
        secret = secret or new_secret()
        if username and not password:
            password = new_secret()
        row = {
            "client_id": client_id,
            "name": name,
            "secret_hash": hash_secret(secret),
            "secret_sealed": self.box.seal(secret),
            "scopes": " ".join(sorted(set(scopes))),
            "orgs": " ".join(orgs),
            "username": username,
            "password_hash": hash_secret(password) if password else None,
            "revoked": False,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(clients), row)
        except IntegrityError:
            raise ValueError(f"a client with id {client_id!r} exists already") from None
        return NewClient(_client(_Row(row)), secret, password)

    def get(self, client_id: str) -> Client | None:
        """The client with this id, revoked or not."""
        with self.engine.connect() as connection:
            row = connection.execute(select(clients).where(clients.c.client_id == client_id)).first()
        return _client(row) if row else None

    def all(self) -> list[Client]:
        """Every client, by id."""
        with self.engine.connect() as connection:
            return [_client(row) for row in connection.execute(select(clients).order_by(clients.c.client_id))]

    def unsealable(self) -> list[str]:
        """The active clients whose OAuth 1.0a secret this registry's key cannot unseal (sealed under another)."""
        query = select(clients.c.client_id, clients.c.secret_sealed).where(clients.c.revoked.is_(False))
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(clients.c.client_id)).all()
        return [client_id for client_id, sealed in rows if sealed and self.box.open(sealed) is None]

    def revoke(self, client_id: str) -> bool:
        """Revoke a client and every token it holds; False when there is no such client."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(clients).where(clients.c.client_id == client_id).values(revoked=True)
            ).rowcount
            connection.execute(delete(tokens).where(tokens.c.client_id == client_id))
        return bool(changed)

    def check_secret(self, client_id: str, secret: str) -> bool:
        """Whether `secret` is the client's (for OAuth 2.0 client authentication)."""
        with self.engine.connect() as connection:
            stored = connection.execute(select(clients.c.secret_hash).where(clients.c.client_id == client_id)).scalar()
        return check_secret(secret, stored)

    def check_password(self, client_id: str, username: str, password: str) -> bool:
        """Whether the client's password-grant account has this username and password."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(clients.c.username, clients.c.password_hash).where(clients.c.client_id == client_id)
            ).first()
        return bool(row and row.username == username and check_secret(password, row.password_hash))

    def signing_secret(self, client_id: str) -> str | None:
        """The client's secret in the clear, for verifying OAuth 1.0a HMAC signatures."""
        with self.engine.connect() as connection:
            sealed = connection.execute(
                select(clients.c.secret_sealed).where(clients.c.client_id == client_id)
            ).scalar()
        return self.box.open(sealed) if sealed else None

    # -- tokens ----------------------------------------------------------------------------

    def save_token(self, token: str, client_id: str, scopes: str, expires_at: float | None) -> None:
        """Remember an issued bearer token (by digest)."""
        with self.engine.begin() as connection:
            connection.execute(
                insert(tokens),
                {"digest": token_digest(token), "client_id": client_id, "scopes": scopes, "expires_at": expires_at},
            )

    def token(self, token: str):
        """The stored row of a bearer token, or None."""
        with self.engine.connect() as connection:
            return connection.execute(select(tokens).where(tokens.c.digest == token_digest(token))).first()

    # -- nonces ----------------------------------------------------------------------------

    def use_nonce(self, client_id: str, nonce: str, timestamp: float, *, forget_before: float) -> bool:
        """Record a nonce; False when the client used it already (a replay). Old nonces are forgotten."""
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(nonces).where(nonces.c.timestamp < forget_before))
                connection.execute(insert(nonces), {"client_id": client_id, "nonce": nonce, "timestamp": timestamp})
        except IntegrityError:
            return False
        return True

    def nonce_used(self, client_id: str, nonce: str) -> bool:
        """Whether the client has used this nonce within the window."""
        query = select(nonces.c.nonce).where(nonces.c.client_id == client_id, nonces.c.nonce == nonce)
        with self.engine.connect() as connection:
            return connection.execute(query).first() is not None


class _Row:
    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)
