"""`rosterlab check URL`: the conformance of a OneRoster endpoint, as a table, JUnit XML, JSON or HTML.

Exit codes: 0 no failure at the --fail-on level (must, by default) or above; 1 such a failure; 2 a usage
error; 3 the checker could not run (no token, the provider unreachable, the budget spent before a verdict).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console

from rosterlab.conformance.budget import Budget
from rosterlab.conformance.consumer_report import clients, grade_client
from rosterlab.conformance.csv_log import check_bundle
from rosterlab.conformance.detect import served_versions
from rosterlab.conformance.model import Level, Report, combined
from rosterlab.conformance.progress import TerminalProgress
from rosterlab.conformance.reports.console import print_report
from rosterlab.conformance.reports.data import run_data
from rosterlab.conformance.reports.html import html_page
from rosterlab.conformance.reports.junit import junit_xml
from rosterlab.conformance.runner import not_run, run_checks
from rosterlab.conformance.target import Target, granted_scopes
from rosterlab.conformance.transport import NoAuth, Transport
from rosterlab.consumer.auth import Authenticator, OAuth1, OAuth2
from rosterlab.consumer.cli_connections import rest_options
from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.server.store.database import connect


def _auth(method, root, client_id, client_secret, token_url, scope, client_auth, signature, no_auth) -> Authenticator:
    if no_auth:
        return NoAuth()
    if not client_id or not client_secret:
        raise click.UsageError("give --client-id and --client-secret (or --key and --secret), or --no-auth")
    if method == "oauth1":
        return OAuth1(client_id, client_secret, signature)
    return OAuth2(token_url or f"{root}/oauth/token", client_id, client_secret, scope, client_auth)


@click.command("check")
@click.argument("url")
@rest_options
@click.option("--no-auth", is_flag=True, help="The provider takes no credentials: send none (auth.* checks skip).")
@click.option("--allow-writes", is_flag=True, help="Also run checks that write to the provider.")
@click.option("--only", multiple=True, help="Only checks whose id starts with this (repeatable).")
@click.option("--fail-on", type=click.Choice([level.value for level in Level]), default="must", show_default=True,
              help="Exit 1 when a check of this level, or a more binding one, fails.")  # fmt: skip
@click.option("--thorough", is_flag=True, help="Follow every record's references, not a bounded sample.")
@click.option("--budget", type=click.FloatRange(min=1), default=None,
              help="Seconds the whole run may take; checks not run by then are errors.")  # fmt: skip
@click.option("--timeout", type=click.FloatRange(min=0.1), default=20.0, show_default=True,
              help="Seconds one request may take before it fails its check.")  # fmt: skip
@click.option("--examples", type=click.IntRange(min=1), default=3, show_default=True,
              help="Requests schemathesis generates per read operation (contract.operations).")  # fmt: skip
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when it is a terminal).")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write JSON here.")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Write an HTML page here.")
def check(url, version, method, client_id, client_secret, token_url, scope, client_auth, signature, no_auth,
          allow_writes, only, fail_on, thorough, budget, timeout, examples, progress, junit, json_path,
          html) -> None:  # fmt: skip
    """Check a OneRoster endpoint's conformance (every version it serves, unless --version names one)."""
    root = url.split("/ims/oneroster", 1)[0].rstrip("/")
    auth = _auth(method, root, client_id, client_secret, token_url, scope, client_auth, signature, no_auth)
    allowed = granted_scopes(scope) if isinstance(auth, OAuth2) else None
    spend = Budget(budget, timeout)
    showing = progress if progress is not None else sys.stderr.isatty()
    reports: list[Report] = []
    with OneRosterClient(root, auth, ClientSettings(timeout=timeout, retries=0)) as client:
        transport = Transport(client.http, auth, spend)
        served = served_versions(transport, root, ("1.2", "1.1") if version == "auto" else (version,))
        problem = served.problem()
        if problem:
            click.echo(f"error: could not run: {problem}", err=True)
            reports.append(not_run(root, "1.2" if version == "auto" else version, problem, Level(fail_on)))
        for other, answer in served.others.items() if not problem else ():
            click.echo(f"note: OneRoster {other} not checked: it answered {answer}", err=True)
        with TerminalProgress(Console(stderr=True, force_terminal=showing or None)) if showing else _Quiet() as shown:
            transport.on_request = shown.request
            for used in served.versions:
                shown.start(used)
                target = Target(client, used, allow_writes, thorough, allowed, spend, transport, examples)
                reports.append(run_checks(target, tuple(only), Level(fail_on), shown.check))
    for report in reports:
        print_report(report)
    if junit:
        junit.write_text(junit_xml(*reports), encoding="utf-8")
    if json_path:
        json_path.write_text(json.dumps(run_data(reports), indent=2), encoding="utf-8")
    if html:
        html.write_text(html_page(*reports), encoding="utf-8")
    sys.exit(combined(reports).exit_code)


class _Quiet:
    """No progress shown."""

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def start(self, version: str) -> None:
        return None

    def check(self, *_: object) -> None:
        return None

    def request(self, shown: str) -> None:
        return None


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
