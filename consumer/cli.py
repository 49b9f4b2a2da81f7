"""`rosterlab sync ...`: connections, syncs (now, in the background, on a schedule), history, approval of
held deletions, and grade write-back.

Exit codes: 0 applied; 1 failed (nothing applied); 2 a usage or configuration error; 3 applied, with
deletions held for approval.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import click
from sqlalchemy import select

from rosterlab.consumer.actions import accept_request, approve_held, run_request
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.cli_connections import connection_group, database_option, fail, open_engine, stored_connection
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.grades import push_grades
from rosterlab.consumer.reporting import print_summary, progress_bars
from rosterlab.consumer.runner import run_connection
from rosterlab.consumer.sinks import JsonLinesSink
from rosterlab.consumer.store import requests, runs

EXIT_FAILED, EXIT_HELD = 1, 3


@click.group("sync")
def sync_group() -> None:
    """Pull rosters from OneRoster providers into a local store."""


sync_group.add_command(connection_group)


@sync_group.command("run")
@click.argument("name")
@click.option("--delta", is_flag=True, help="Only what changed since the last successful sync.")
@click.option("--file", "bundle", type=click.Path(dir_okay=False), default=None, help="A CSV zip to sync from.")
@click.option("--events", type=click.Path(dir_okay=False), default=None, help="Append the changes here, as JSON lines.")
@click.option("--progress/--no-progress", default=None, help="Progress bars (default: on a terminal).")
@database_option
def run(name, delta, bundle, events, progress, database_url) -> None:
    """Run a sync now, in the foreground."""
    engine = open_engine(database_url)
    connection = stored_connection(engine, name)
    upload = None
    if bundle is None and connection.source == "csv" and not connection.csv_path:
        fail(f"{name} takes CSV uploads: give the bundle to sync with --file BUNDLE.zip")
    if bundle is not None:
        if connection.source != "csv":
            fail(f"{name} is a {connection.source} connection; --file is for CSV connections")
        try:
            with open(bundle, "rb") as file:
                upload = file.read()
        except OSError as error:
            fail(f"cannot read {bundle}: {error.strerror}")
    sinks = (JsonLinesSink(events),) if events else ()
    try:
        with progress_bars(progress) as on_progress:
            result = run_connection(engine, connection, delta, upload, sinks=sinks, progress=on_progress)
    except (SyncError, AuthError) as error:
        click.echo(f"sync failed, nothing applied: {error}", err=True)
        sys.exit(EXIT_FAILED)
    print_summary(result, name)
    if result.held:
        sys.exit(EXIT_HELD)


@sync_group.command("now")
@click.argument("name")
@click.option("--delta", is_flag=True)
@database_option
def now(name, delta, database_url) -> None:
    """Accept a sync request at once and run it in the background; prints its job id."""
    engine = open_engine(database_url)
    stored_connection(engine, name)
    job_id = accept_request(engine, name, delta)
    subprocess.Popen(
        [sys.executable, "-m", "rosterlab", "sync", "work", job_id, "--database", database_url],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # outlives this command
    )
    click.echo(f"sync request accepted: job {job_id}")
    click.echo(f"follow it with `rosterlab sync status {job_id}`")


@sync_group.command("work", hidden=True)
@click.argument("job_id")
@database_option
def work(job_id, database_url) -> None:
    """Run an accepted request (started by `sync now`)."""
    if run_request(open_engine(database_url), job_id) == "unknown":
        sys.exit(2)


@sync_group.command("status")
@click.argument("job_id")
@database_option
def status(job_id, database_url) -> None:
    """The state of a background sync request: accepted, running, succeeded or failed."""
    with open_engine(database_url).connect() as db:
        request = db.execute(select(requests).where(requests.c.job_id == job_id)).first()
    if request is None:
        fail(f"no sync request {job_id!r}")
    click.echo(f"{request.job_id} {request.connection} {request.kind} {request.status} {request.message or ''}".strip())
    if request.status == "failed":
        sys.exit(EXIT_FAILED)


@sync_group.command("history")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per sync.")
@database_option
def history(name, as_json, database_url) -> None:
    """The syncs of a connection, newest first: per-entity counts, duration and errors."""
    engine = open_engine(database_url)
    stored_connection(engine, name)
    with engine.connect() as db:
        rows = db.execute(select(runs).where(runs.c.connection == name).order_by(runs.c.id.desc())).all()
    for row in rows:
        if as_json:
            click.echo(json.dumps({k: v for k, v in row._mapping.items()}, sort_keys=True))
            continue
        job = f" job {row.job_id}" if row.job_id else ""
        click.echo(f"{row.started}  {row.kind:<5} {row.origin:<9} {row.outcome:<7} {row.seconds or '?'} s{job}")
        for entity, counts in (row.counts or {}).items():
            if entity not in ("held", "warnings") and counts:
                click.echo(f"    {entity:<16} " + "  ".join(f"{kind} {count}" for kind, count in counts.items()))
        for entity, count in ((row.counts or {}).get("held") or {}).items():
            click.echo(f"    held: {count} deletions of {entity}")
        for warning in (row.counts or {}).get("warnings") or []:
            click.echo(f"    warning: {warning}")
        if row.error:
            click.echo(f"    error: {row.error}")
        for reason in row.rejections or []:
            click.echo(f"    rejected: {reason}")


@sync_group.command("approve")
@click.argument("name")
@database_option
def approve(name, database_url) -> None:
    """Apply the deletions a sync held back."""
    engine = open_engine(database_url)
    stored_connection(engine, name)
    count = approve_held(engine, name)
    click.echo(f"applied {count} held deletion(s)")


@sync_group.command("push-grades")
@click.argument("name")
@database_option
def push(name, database_url) -> None:
    """Write pending categories, line items and results back to the provider."""
    engine = open_engine(database_url)
    connection = stored_connection(engine, name)
    if connection.source != "rest":
        fail(f"{name} is a {connection.source} connection; grades go back over REST only")
    try:
        with connection.client() as client:
            result = push_grades(engine, name, client, connection.version if connection.version != "auto" else "1.2")
    except AuthError as error:
        fail(str(error), EXIT_FAILED)
    for entity, count in result.pushed.items():
        click.echo(f"pushed {count} {entity}")
    for failure in result.failures:
        click.echo(f"FAILED: {failure}", err=True)
    if not result.ok:
        sys.exit(EXIT_FAILED)


@sync_group.command("agent")
@click.option("--replan", type=float, default=60.0, show_default=True, help="Seconds between reading the schedules.")
@database_option
def agent(replan, database_url) -> None:
    """Run scheduled syncs when they are due, until stopped (SIGINT or SIGTERM)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from rosterlab.consumer.agent import plan_jobs, scheduler_for

    scheduler = scheduler_for(database_url, BackgroundScheduler)
    scheduler.start(paused=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    names = plan_jobs(scheduler, database_url)
    scheduler.resume()
    click.echo(f"agent started (pid {os.getpid()}); scheduled: {', '.join(names) or 'nothing yet'}")
    try:
        while not stop.wait(replan):
            plan_jobs(scheduler, database_url)
    except KeyboardInterrupt:
        pass
    scheduler.shutdown(wait=True)
    click.echo("agent stopped")
