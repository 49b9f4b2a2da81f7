"""`rosterlab sync ...`: connections to providers, syncs, their history, and approval of held deletions."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import delete, select, update

from rosterlab.consumer import connections as registry
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.store import TABLES, held, metadata, runs
from rosterlab.consumer.sync import base_path, delta_sync, full_sync

database_option = click.option(
    "--database",
    "database_url",
    default="sqlite:///rosterlab-sync.db",
    show_default=True,
    help="The consumer's database (SQLite file or PostgreSQL URL).",
)


def _engine(database_url: str):
    from sqlalchemy import create_engine

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    metadata.create_all(engine)
    return engine


def _connection(engine, name: str) -> registry.Connection:
    found = registry.find(engine, name)
    if found is None:
        click.echo(f"error: no connection {name!r}", err=True)
        sys.exit(2)
    return found


@click.group("sync")
def sync_group() -> None:
    """Pull rosters from OneRoster providers into a local store."""


@sync_group.group("connection")
def connection_group() -> None:
    """Add, list, show, test and remove connections."""


@connection_group.command("add")
@click.argument("name")
@click.option("--url", "base_url", required=True, help="The provider, with or without /ims/oneroster/...")
@click.option("--version", type=click.Choice(["1.1", "1.2"]), default="1.2", show_default=True)
@click.option("--oauth1", "method", flag_value="oauth1", help="OAuth 1.0a request signing.")
@click.option("--oauth2", "method", flag_value="oauth2", default=True, help="OAuth 2.0 (default).")
@click.option("--client-id", "--key", "client_id", required=True)
@click.option("--client-secret", "--secret", "client_secret", required=True)
@click.option("--token-url", default=None, help="OAuth 2.0 token URL (default: URL/oauth/token).")
@click.option("--scope", default="", help="OAuth 2.0 scopes to ask for.")
@click.option("--client-auth", type=click.Choice(["basic", "body"]), default="basic", show_default=True)
@click.option("--signature", type=click.Choice(["HMAC-SHA1", "HMAC-SHA256"]), default="HMAC-SHA256", show_default=True)
@click.option("--username", default=None, help="OAuth 2.0 password grant.")
@click.option("--password", default=None)
@database_option
def add(
    name,
    base_url,
    version,
    method,
    client_id,
    client_secret,
    token_url,
    scope,
    client_auth,
    signature,
    username,
    password,
    database_url,
) -> None:
    """Add (or replace) a REST connection."""
    root = base_url.split("/ims/oneroster", 1)[0].rstrip("/")
    if method == "oauth1":
        auth = {"kind": "oauth1", "key": client_id, "secret": client_secret, "method": signature}
    else:
        auth = {
            "kind": "oauth2",
            "token_url": token_url or f"{root}/oauth/token",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": scope,
            "client_auth": client_auth,
            "username": username,
            "password": password,
        }
    registry.save(_engine(database_url), registry.Connection(name, root, version, auth))
    click.echo(f"saved connection {name} ({version}, {method}) to {root}")


@connection_group.command("list")
@database_option
def list_connections(database_url) -> None:
    """List the connections."""
    for connection in registry.load_all(_engine(database_url)):
        click.echo(f"{connection.name:<20} {connection.version:<4} {connection.auth['kind']:<7} {connection.base_url}")


@connection_group.command("show")
@click.argument("name")
@database_option
def show(name, database_url) -> None:
    """Show a connection, its secrets masked."""
    click.echo(json.dumps(_connection(_engine(database_url), name).public(), indent=2))


@connection_group.command("remove")
@click.argument("name")
@database_option
def remove(name, database_url) -> None:
    """Remove a connection (its synced records stay)."""
    if not registry.remove(_engine(database_url), name):
        click.echo(f"error: no connection {name!r}", err=True)
        sys.exit(2)
    click.echo(f"removed {name}")


@connection_group.command("test")
@click.argument("name")
@database_option
def test(name, database_url) -> None:
    """Check credentials and reachability; say precisely what failed."""
    connection = _connection(_engine(database_url), name)
    url = base_path(connection.base_url, connection.version, "org")
    try:
        with connection.client() as client:
            response = client.get(url, {"limit": "1"})
    except AuthError as error:
        click.echo(f"FAILED: {error}", err=True)
        sys.exit(1)
    except SyncError as error:
        click.echo(f"FAILED: cannot reach the provider: {error}", err=True)
        sys.exit(1)
    if response.status_code != 200:
        click.echo(f"FAILED: GET {url} answered HTTP {response.status_code}: {response.text[:200]}", err=True)
        sys.exit(1)
    click.echo(f"OK: {connection.name} answers OneRoster {connection.version} at {url}")


@sync_group.command("run")
@click.argument("name")
@click.option("--delta", is_flag=True, help="Only what changed since the last successful sync.")
@database_option
def run(name, delta, database_url) -> None:
    """Run a sync now, in the foreground; exit 1 if it failed (nothing is applied then)."""
    engine = _engine(database_url)
    connection = _connection(engine, name)
    sync = delta_sync if delta else full_sync
    try:
        with connection.client() as client:
            result = sync(engine, name, client, connection.version)
    except (SyncError, AuthError) as error:
        click.echo(f"sync failed, nothing applied: {error}", err=True)
        sys.exit(1)
    for entity, counts in result.counts.items():
        click.echo(f"{entity:<16} " + "  ".join(f"{kind} {count}" for kind, count in counts.items()))
    for entity, count in result.held.items():
        click.echo(f"HELD: {count} deletions of {entity}; approve with `rosterlab sync approve {name}`")


@sync_group.command("history")
@click.argument("name")
@database_option
def history(name, database_url) -> None:
    """The syncs of a connection, newest first."""
    engine = _engine(database_url)
    with engine.connect() as db:
        for row in db.execute(select(runs).where(runs.c.connection == name).order_by(runs.c.id.desc())):
            click.echo(
                f"{row.started}  {row.kind:<5} {row.outcome:<8} {json.dumps(row.counts) if row.counts else row.error}"
            )


@sync_group.command("approve")
@click.argument("name")
@database_option
def approve(name, database_url) -> None:
    """Apply the deletions a sync held back."""
    engine = _engine(database_url)
    count = 0
    with engine.begin() as db:
        for row in db.execute(select(held).where(held.c.connection == name)).all():
            table = TABLES[row.entity]
            db.execute(
                update(table)
                .where(table.c.connection == name, table.c.sourced_id == row.sourced_id)
                .values(status="tobedeleted")
            )
            count += 1
        db.execute(delete(held).where(held.c.connection == name))
    click.echo(f"applied {count} held deletion(s)")
