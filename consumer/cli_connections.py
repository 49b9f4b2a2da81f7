"""`rosterlab sync connection ...`: add, list, show, test and remove connections."""

from __future__ import annotations

import json
import sys

import click

from rosterlab.consumer import connections as registry
from rosterlab.consumer.actions import ConnectionForm, InvalidConnection, build_connection, check_connection
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.schedules import KINDS, describe
from rosterlab.consumer.store import connect_store

database_option = click.option(
    "--database",
    "database_url",
    default="sqlite:///rosterlab-sync.db",
    show_default=True,
    help="The consumer's database (SQLite file or PostgreSQL URL).",
)


def open_engine(database_url: str):
    """The consumer's database, its tables created."""
    return connect_store(database_url)


def stored_connection(engine, name: str) -> registry.Connection:
    """The connection called `name`, or exit 2 saying there is none."""
    found = registry.find(engine, name)
    if found is None:
        click.echo(f"error: no connection {name!r}", err=True)
        sys.exit(2)
    return found


def fail(message: str, code: int = 2, prefix: str = "error: ") -> None:
    """Say what went wrong on stderr and exit with `code`."""
    click.echo(f"{prefix}{message}", err=True)
    sys.exit(code)


def rest_options(function):
    """The options that say how to reach a REST provider (shared by `sync connection add` and `check`)."""
    options = (
        click.option("--version", type=click.Choice(["auto", "1.1", "1.2"]), default="auto", show_default=True),
        click.option("--oauth1", "method", flag_value="oauth1", help="OAuth 1.0a request signing."),
        click.option("--oauth2", "method", flag_value="oauth2", default=True, help="OAuth 2.0 (default)."),
        click.option("--client-id", "--key", "client_id", default=None),
        click.option("--client-secret", "--secret", "client_secret", default=None),
        click.option("--token-url", default=None, help="OAuth 2.0 token URL (default: URL/oauth/token)."),
        click.option("--scope", default="", help="OAuth 2.0 scopes to ask for (default: the least needed)."),
        click.option("--client-auth", type=click.Choice(["basic", "body", "query"]), default="basic",
                     show_default=True),
        click.option("--signature", type=click.Choice(["HMAC-SHA1", "HMAC-SHA256"]), default="HMAC-SHA256",
                     show_default=True),
    )  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


@click.group("connection")
def connection_group() -> None:
    """Add, list, show, test and remove connections."""


@connection_group.command("add")
@click.argument("name")
@click.option("--source", type=click.Choice(registry.SOURCES), default="rest", show_default=True)
@click.option("--url", "base_url", default="", help="REST: the provider, with or without /ims/oneroster/...")
@rest_options
@click.option("--username", default=None, help="OAuth 2.0 password grant.")
@click.option("--password", default=None)
@click.option("--csv-path", default="", help="CSV: the bundle read when none is uploaded.")
@click.option("--sftp-host", default=None)
@click.option("--sftp-port", type=int, default=22, show_default=True)
@click.option("--sftp-user", default=None)
@click.option("--sftp-password", default=None)
@click.option("--sftp-key-file", default=None, help="A private key file to log in with.")
@click.option("--sftp-path", default=None, help="Folder and file name on the server, e.g. exports/oneroster.zip.")
@click.option("--sftp-host-key", default=None, help="The server's public key; pinned at first use when not given.")
@click.option(
    "--match-key", default="sourcedId", show_default=True, help="sourcedId, email, username, identifier, userIds:TYPE."
)
@click.option("--username-suffix", default="", help="Appended to usernames when matching by username.")
@click.option("--tenant", default=None, help="A partner or tenant id carried with every change.")
@click.option("--gradebook", is_flag=True, help="REST: also sync categories, line items and results.")
@click.option("--school", "schools", multiple=True, help="Sync only this school (repeatable).")
@click.option("--grade", "grades", multiple=True, help="Sync only this grade (repeatable).")
@click.option("--subject", "subjects", multiple=True, help="Sync only this subject (repeatable).")
@click.option("--schedule", type=click.Choice(KINDS), default="manual", show_default=True)
@click.option("--at", default="02:00", show_default=True, help="HH:MM (UTC) of an hourly/daily/weekly/monthly run.")
@click.option("--day", default=None, help="Weekday (mon..sun) of a weekly run, day (1-31) of a monthly one.")
@click.option("--cron", default=None, help="The expression of a cron schedule.")
@click.option("--start", default=None, help="The date schedules start from.")
@click.option("--scheduled-delta", is_flag=True, help="Scheduled runs are delta syncs.")
@click.option("--concurrency", type=int, default=4, show_default=True, help="REST requests in flight at most.")
@click.option("--guard-count", type=int, default=10, show_default=True)
@click.option("--guard-share", type=float, default=0.10, show_default=True)
@database_option
def add(
    name,
    source,
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
    csv_path,
    sftp_host,
    sftp_port,
    sftp_user,
    sftp_password,
    sftp_key_file,
    sftp_path,
    sftp_host_key,
    match_key,
    username_suffix,
    tenant,
    gradebook,
    schools,
    grades,
    subjects,
    schedule,
    at,
    day,
    cron,
    start,
    scheduled_delta,
    concurrency,
    guard_count,
    guard_share,
    database_url,
) -> None:
    """Add (or replace) a connection."""
    form = ConnectionForm(**{k: v for k, v in locals().items() if k != "database_url"})
    try:
        connection = build_connection(form)
    except InvalidConnection as error:
        fail(str(error))
    registry.save(open_engine(database_url), connection)
    where = (
        connection.base_url
        if source == "rest"
        else (f"{sftp_host}:{sftp_port}/{sftp_path}" if source == "sftp" else "uploads")
    )
    click.echo(f"saved connection {name} ({source}, {connection.version}) to {where}; {describe(connection.schedule)}")


@connection_group.command("list")
@database_option
def list_connections(database_url) -> None:
    """List the connections."""
    for c in registry.load_all(open_engine(database_url)):
        where = c.base_url or c.sftp.get("host") or c.csv_path or "uploads"
        click.echo(f"{c.name:<20} {c.source:<5} {c.version:<4} {where}  ({describe(c.schedule)})")


@connection_group.command("show")
@click.argument("name")
@database_option
def show(name, database_url) -> None:
    """Show a connection, its secrets masked."""
    click.echo(json.dumps(stored_connection(open_engine(database_url), name).public(), indent=2))


@connection_group.command("remove")
@click.argument("name")
@database_option
def remove(name, database_url) -> None:
    """Remove a connection (its synced records stay)."""
    if not registry.remove(open_engine(database_url), name):
        fail(f"no connection {name!r}")
    click.echo(f"removed {name}")


@connection_group.command("test")
@click.argument("name")
@database_option
def test(name, database_url) -> None:
    """Check credentials and reachability; say precisely what failed."""
    engine = open_engine(database_url)
    connection = stored_connection(engine, name)
    try:
        said = check_connection(engine, connection)
    except (AuthError, SyncError) as error:
        fail(str(error), 1, "FAILED: ")
    click.echo(f"OK: {connection.name} {said}")
