"""`rosterlab check URL`: the conformance of a OneRoster endpoint, as a table, JUnit XML, JSON or HTML.

Exit codes: 0 no must-failure; 1 a must-failure; 2 a usage error.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from rosterlab.conformance.consumer_report import clients, grade_client
from rosterlab.conformance.csv_log import check_bundle
from rosterlab.conformance.reports.console import print_report
from rosterlab.conformance.reports.data import report_data
from rosterlab.conformance.reports.html import html_page
from rosterlab.conformance.reports.junit import junit_xml
from rosterlab.conformance.runner import run_checks
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import AuthError, OAuth1, OAuth2
from rosterlab.consumer.cli_connections import rest_options
from rosterlab.consumer.client import ClientSettings, OneRosterClient, SyncError
from rosterlab.consumer.sources.rest import detect_version
from rosterlab.server.store.database import connect


@click.command("check")
@click.argument("url")
@rest_options
@click.option("--allow-writes", is_flag=True, help="Also run checks that write to the provider.")
@click.option("--only", multiple=True, help="Only checks whose id starts with this (repeatable).")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write JSON here.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML page here.")
def check(url, version, method, client_id, client_secret, token_url, scope, client_auth, signature, allow_writes,
          only, junit, json_path, html) -> None:  # fmt: skip
    """Check a OneRoster endpoint's conformance."""
    if not client_id or not client_secret:
        raise click.UsageError("give --client-id and --client-secret (or --key and --secret)")
    root = url.split("/ims/oneroster", 1)[0].rstrip("/")
    if method == "oauth1":
        auth = OAuth1(client_id, client_secret, signature)
    else:
        auth = OAuth2(token_url or f"{root}/oauth/token", client_id, client_secret, scope, client_auth)
    with OneRosterClient(root, auth, ClientSettings(retries=2)) as client:
        try:
            used = detect_version(client) if version == "auto" else version
        except (SyncError, AuthError) as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(2)
        report = run_checks(Target(client, used, allow_writes), tuple(only))
    print_report(report)
    if junit:
        junit.write_text(junit_xml(report), encoding="utf-8")
    if json_path:
        json_path.write_text(json.dumps(report_data(report), indent=2), encoding="utf-8")
    if html:
        html.write_text(html_page(report), encoding="utf-8")
    sys.exit(0 if report.passed else 1)


@click.command("check-csv")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the logs as JSON.")
def check_csv(bundles: tuple[Path, ...], json_path: Path | None) -> None:
    """Check OneRoster CSV bundles; a certification-style log per bundle; exit 1 if any fails."""
    logs = [check_bundle(bundle.read_bytes(), bundle.name) for bundle in bundles]
    click.echo("\n\n".join(log.text() for log in logs))
    if json_path:
        json_path.write_text(json.dumps([log.data() for log in logs], indent=2), encoding="utf-8")
    sys.exit(0 if all(log.status == "pass" for log in logs) else 1)


@click.group("report")
def report_group() -> None:
    """Reports drawn from the mock's records."""


@report_group.command("consumer")
@click.option("--database", "database_url", default="sqlite:///rosterlab.db", show_default=True,
              help="The mock's database (it records requests with `serve --record-requests`).")  # fmt: skip
@click.option("--client", "client_ids", multiple=True, help="Grade only this client id (repeatable).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the grades as JSON.")
def consumer_report(database_url: str, client_ids: tuple[str, ...], json_path: Path | None) -> None:
    """Grade how each client that synced against the mock behaved; exit 1 if any criterion failed."""
    engine = connect(database_url)
    graded = {client: grade_client(engine, client) for client in (client_ids or clients(engine))}
    if not graded:
        click.echo("error: the log holds no requests; serve with --record-requests and sync first", err=True)
        sys.exit(2)
    for client, grades in graded.items():
        passed = sum(g.status == "pass" for g in grades)
        failed = sum(g.status == "fail" for g in grades)
        click.echo(f"{client}: {passed} passed, {failed} failed")
        for grade in grades:
            click.echo(
                f"  {grade.status.upper():<5} {grade.id:<32} {grade.title}"
                + (f" ({grade.detail})" if grade.detail else "")
            )
    if json_path:
        data = {client: [asdict(g) for g in grades] for client, grades in graded.items()}
        json_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    sys.exit(1 if any(g.status == "fail" for grades in graded.values() for g in grades) else 0)
