"""`rosterlab spec ...`: look at the standard as rosterlab models it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rosterlab.spec import documents
from rosterlab.spec.csv_binding import CsvVersion, files
from rosterlab.spec.endpoints import OpKind, base_path, operations
from rosterlab.spec.entities import MODELS
from rosterlab.spec.filter import FilterError, baseline_violations, parse, to_text
from rosterlab.spec.model import Service, Version
from rosterlab.spec.openapi import document
from rosterlab.spec.parity import OFFICIAL_FILES, compare_documents, explain, load_deviations


@click.group("spec")
def spec_group() -> None:
    """Inspect rosterlab's model of the OneRoster standard."""


def summary_lines() -> list[str]:
    """A few lines on what the model covers: operations per service, entities, CSV files."""
    lines = []
    for version in Version:
        lines.append(f"OneRoster {version}: {len(MODELS[version].entities)} entities")
        for service in Service:
            ops = operations(version, service)
            kinds = {kind: sum(op.kind is kind for op in ops) for kind in OpKind}
            detail = ", ".join(f"{count} {kind.value}" for kind, count in kinds.items() if count)
            where = f"{service.value:<9} {base_path(version, service)}"
            lines.append(f"  {where:<44} {len(ops):>3} operations ({detail})")
    for csv_version in CsvVersion:
        lines.append(f"CSV {csv_version}: {len(files(csv_version))} files + manifest.csv")
    return lines


@spec_group.command("summary")
def summary() -> None:
    """Print what the model covers."""
    for line in summary_lines():
        click.echo(line)
    click.echo(f"OpenAPI documents: {documents.OPENAPI_DIR}")


@spec_group.command("generate")
@click.option("--check", is_flag=True, help="Only report stale documents; exit 1 if any.")
def generate(check: bool) -> None:
    """Write the OpenAPI documents under spec/openapi/ from the model."""
    sys.exit(documents.main(["--check"] if check else []))


@spec_group.command("filter")
@click.argument("expression")
def filter_command(expression: str) -> None:
    """Parse a filter EXPRESSION and print its canonical form, or say where it is wrong."""
    try:
        tree = parse(expression)
    except FilterError as error:
        click.echo(f"invalid filter: {error.reason}", err=True)
        click.echo(error.pointer(), err=True)
        sys.exit(2)
    click.echo(to_text(tree))
    for reason in baseline_violations(tree):
        click.echo(f"note: beyond baseline OneRoster: {reason}")


@spec_group.command("parity")
@click.argument("reference", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def parity(reference: Path, as_json: bool) -> None:
    """Compare our 1.2 documents with the official files in REFERENCE; exit 1 on unexplained differences."""
    differences = []
    for filename, ours in OFFICIAL_FILES.items():
        official = json.loads((reference / filename).read_text(encoding="utf-8"))
        differences += [f"{ours}: {d}" for d in compare_documents(official, documents.load(document(ours)))]
    stripped = [d.split(": ", 1)[1] for d in differences]
    report = explain(stripped, load_deviations())
    if as_json:
        click.echo(json.dumps({"explained": report.explained, "unexplained": report.unexplained}, indent=2))
    else:
        for deviation_id, matched in report.explained.items():
            click.echo(f"deviation {deviation_id}: {len(matched)} differences")
        for line in report.unexplained:
            click.echo(f"UNEXPLAINED {line}")
        click.echo(f"{len(differences)} differences, {len(report.unexplained)} unexplained")
    sys.exit(1 if report.unexplained else 0)
