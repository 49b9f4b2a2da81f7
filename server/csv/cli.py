"""`rosterlab csv ...`: export a store as a OneRoster CSV zip, validate a zip, import one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rosterlab.server.csv.export import export_store
from rosterlab.server.csv.importer import import_bundle
from rosterlab.server.store.database import DEFAULT_URL, connect
from rosterlab.spec.csv_binding import CsvVersion
from rosterlab.spec.csv_bundle import read_bundle

database_option = click.option("--database", "database_url", default=DEFAULT_URL, show_default=True)


@click.group("csv")
def csv_group() -> None:
    """OneRoster CSV bundles (1.1, 1.2, 1.2.1): export, validate, import."""


@csv_group.command("export")
@click.option(
    "--version", "version", type=click.Choice([v.value for v in CsvVersion]), default="1.2.1", show_default=True
)
@click.option("--since", default=None, help="Only the changes after this instant (a delta bundle).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@database_option
def export_command(version: str, since: str | None, output: Path, database_url: str) -> None:
    """Write the store as a bulk bundle (or a delta bundle with --since)."""
    output.write_bytes(export_store(connect(database_url), version, since))
    click.echo(f"wrote {output} (OneRoster {version} CSV, {'delta' if since else 'bulk'})")


@csv_group.command("validate")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_command(bundle: Path) -> None:
    """Check a bundle; list every problem with its file, row and column; exit 1 if there is any."""
    result = read_bundle(bundle.read_bytes())
    for issue in result.issues:
        click.echo(str(issue))
    if result.issues:
        click.echo(f"{len(result.issues)} problem(s); the bundle would not be imported", err=True)
        sys.exit(1)
    click.echo(
        f"valid OneRoster {result.version} bundle: " + ", ".join(f"{n} {len(r)}" for n, r in result.rows.items())
    )


@csv_group.command("import")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@database_option
def import_command(bundle: Path, database_url: str) -> None:
    """Apply a bundle to the store, all of it or (on any problem) none of it."""
    report = import_bundle(connect(database_url), bundle.read_bytes())
    for issue in report.issues:
        click.echo(str(issue))
    if report.issues:
        click.echo(f"{len(report.issues)} problem(s); nothing was imported", err=True)
        sys.exit(1)
    for label, counts in (("created", report.created), ("updated", report.updated), ("deleted", report.deleted)):
        if counts:
            click.echo(f"{label}: " + ", ".join(f"{entity} {count}" for entity, count in counts.items()))
