"""`rosterlab ui`: run the sync console."""

from __future__ import annotations

import secrets

import click
from werkzeug.serving import make_server

from rosterlab.consumer.cli_connections import database_option, open_engine
from rosterlab.consumer.console.app import create_console


@click.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8100, show_default=True)
@click.option(
    "--password",
    envvar="ROSTERLAB_UI_PASSWORD",
    default=None,
    help="The admin's password (or set ROSTERLAB_UI_PASSWORD); by default a new one is made and printed.",
)
@database_option
def ui(host: str, port: int, password: str | None, database_url: str) -> None:
    """Run the sync console: connections, syncs, uploads, history and held deletions, in a browser."""
    engine = open_engine(database_url)
    made = password is None
    password = password or secrets.token_urlsafe(12)
    server = make_server(host, port, create_console(engine, password), threaded=True)
    click.echo(f"rosterlab sync console on http://{host}:{server.server_port}/ (database {database_url})")
    click.echo(f"log in as admin with password {password}" if made else "log in as admin")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
