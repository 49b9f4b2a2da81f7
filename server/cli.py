"""`rosterlab serve`: run the mock SIS."""

from __future__ import annotations

import gc
import os
import sys

import click
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import DEFAULT_URL, connect
from rosterlab.server.store.load import create_schema, load
from rosterlab.server.store.tables import entity_table
from rosterlab.spec.openapi import DOCUMENTS


def _prepare_store(database_url: str, demo: bool) -> None:
    """Create the tables (proving the database is reachable) and load the demo district into an empty store."""
    engine = connect(database_url)
    create_schema(engine)
    with engine.connect() as connection:
        empty = connection.execute(select(func.count()).select_from(entity_table("org"))).scalar_one() == 0
    if demo and empty:
        counts = load(engine, demo_district())
        click.echo(f"loaded the demo district: {sum(counts.values())} records")
    engine.dispose()


def _banner(host: str, port: int, database_url: str) -> str:
    origin = f"http://{host}:{port}"
    lines = [f"rosterlab mock SIS on {origin}  (database: {database_url})", ""]
    for document in DOCUMENTS:
        lines.append(f"  {document.title:<26} {origin}{document.base_path}")
    lines += ["", "  try:     curl " + f"'{origin}/ims/oneroster/rostering/v1p2/schools'"]
    lines.append(f"  browse:  {origin}/ims/oneroster/rostering/v1p2/ui/")
    return "\n".join(lines)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--database", "database_url", default=DEFAULT_URL, show_default=True, help="SQLite file or PostgreSQL URL."
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes.")
@click.option("--demo/--no-demo", default=False, help="Load the demo district first if the store is empty.")
@click.option("--max-limit", default=1000, show_default=True, type=click.IntRange(1), help="Cap on `limit`.")
@click.option("--public-url", default=None, help="scheme://host:port used in hrefs and Link headers.")
def serve(
    host: str, port: int, database_url: str, workers: int, demo: bool, max_limit: int, public_url: str | None
) -> None:
    """Run the mock SIS (OneRoster 1.1 and 1.2)."""
    try:
        _prepare_store(database_url, demo)
    except SQLAlchemyError as error:
        click.echo(
            f"error: cannot use the database {database_url}: {error.__class__.__name__}: {error.orig or error}",
            err=True,
        )
        sys.exit(2)
    os.environ.update(
        ROSTERLAB_DATABASE_URL=database_url, ROSTERLAB_MAX_LIMIT=str(max_limit), ROSTERLAB_PUBLIC_URL=public_url or ""
    )
    click.echo(_banner(host, port, database_url))
    gc.freeze()  # start-up objects never die; keep full collections short under load
    uvicorn.run(
        "rosterlab.server.asgi:create_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )
