"""What the CLI and the web console both do with connections: build one from what a user typed, test it,
accept a background sync and run it with its progress recorded, approve or reject held deletions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from rosterlab.consumer import connections as registry
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.reconcile import tombstone
from rosterlab.consumer.runner import run_connection
from rosterlab.consumer.schedules import ScheduleError, trigger_for
from rosterlab.consumer.sources.rest import RestSource, detect_version
from rosterlab.consumer.sources.sftp import SftpLocation, fetch
from rosterlab.consumer.store import TABLES, held, progress, requests, runs
from rosterlab.spec.csv_bundle import read_bundle


class InvalidConnection(ValueError):
    """What a user gave cannot make a connection; the message says what is missing or wrong."""


@dataclass
class ConnectionForm:
    """A connection as a user describes it (the CLI's options, the console's form), before it is checked."""

    name: str
    source: str = "rest"
    base_url: str = ""
    version: str = "auto"
    method: str = "oauth2"
    client_id: str | None = None
    client_secret: str | None = None
    token_url: str | None = None
    scope: str = ""
    client_auth: str = "basic"
    signature: str = "HMAC-SHA256"
    username: str | None = None
    password: str | None = None
    csv_path: str = ""
    sftp_host: str | None = None
    sftp_port: int = 22
    sftp_user: str | None = None
    sftp_password: str | None = None
    sftp_key_file: str | None = None
    sftp_path: str | None = None
    sftp_host_key: str | None = None
    match_key: str = "sourcedId"
    username_suffix: str = ""
    tenant: str | None = None
    gradebook: bool = False
    schools: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    schedule: str = "manual"
    at: str = "02:00"
    day: str | None = None
    cron: str | None = None
    start: str | None = None
    scheduled_delta: bool = False
    concurrency: int = 4
    guard_count: int = 10
    guard_share: float = 0.10
    extra: dict[str, Any] = field(default_factory=dict)


def build_connection(form: ConnectionForm) -> registry.Connection:
    """The connection a form describes; raises InvalidConnection saying what is wrong."""
    if not form.name.strip():
        raise InvalidConnection("a connection needs a name")
    root = form.base_url.split("/ims/oneroster", 1)[0].rstrip("/")
    auth: dict[str, Any] = {}
    sftp: dict[str, Any] = {}
    if form.source == "rest":
        if not root or not form.client_id or not form.client_secret:
            raise InvalidConnection("a REST connection needs a URL, a client id and a client secret")
        if form.method == "oauth1":
            auth = {"kind": "oauth1", "key": form.client_id, "secret": form.client_secret, "method": form.signature}
        else:
            auth = {
                "kind": "oauth2",
                "token_url": form.token_url or f"{root}/oauth/token",
                "client_id": form.client_id,
                "client_secret": form.client_secret,
                "scope": form.scope,
                "client_auth": form.client_auth,
                "username": form.username,
                "password": form.password,
            }
    if form.source == "sftp":
        if not (form.sftp_host and form.sftp_user and form.sftp_path) or not (form.sftp_password or form.sftp_key_file):
            raise InvalidConnection("an SFTP connection needs a host, a user, a path and a password or key file")
        sftp = {
            "host": form.sftp_host,
            "port": form.sftp_port,
            "username": form.sftp_user,
            "path": form.sftp_path,
            "password": form.sftp_password,
            "key_file": form.sftp_key_file,
            "host_key": form.sftp_host_key,
        }
    plan: dict[str, Any] = {"kind": form.schedule, "at": form.at, "start": form.start, "delta": form.scheduled_delta}
    if form.day:
        plan["day"] = form.day
    if form.cron:
        plan["cron"] = form.cron
    try:
        trigger_for(plan)
        return registry.Connection(
            name=form.name.strip(),
            source=form.source,
            base_url=root,
            version=form.version if form.source == "rest" else "auto",
            auth=auth,
            sftp=sftp,
            csv_path=form.csv_path,
            match_key=form.match_key,
            username_suffix=form.username_suffix,
            tenant=form.tenant or None,
            gradebook=form.gradebook and form.source == "rest",
            schools=tuple(form.schools),
            grades=tuple(form.grades),
            subjects=tuple(form.subjects),
            schedule=plan if form.schedule != "manual" else {},
            concurrency=form.concurrency,
            guard_count=form.guard_count,
            guard_share=form.guard_share,
        )
    except (ScheduleError, ValueError) as error:
        raise InvalidConnection(str(error)) from None


def _test_rest(connection: registry.Connection) -> str:
    """Read one record of every entity the sync pulls, with the token (and scope) the sync would use."""
    entities = connection.entities
    with connection.client() as client:
        version = detect_version(client, entities) if connection.version == "auto" else connection.version
        failed = RestSource(client, version).check_reads(entities)
    if failed:
        raise SyncError(
            f"the provider refused {len(failed)} of the {len(entities)} collections a sync reads: "
            + "; ".join(f"{entity}: {why}" for entity, why in failed.items())
        )
    return f"answers OneRoster {version} at {connection.base_url}: {', '.join(entities)} readable"


def _test_bundle(data: bytes, where: str) -> str:
    bundle = read_bundle(data)
    if bundle.issues:
        raise SyncError(f"the bundle at {where} is invalid: " + "; ".join(str(i) for i in bundle.issues[:10]))
    return f"the bundle at {where} is a valid OneRoster {bundle.version} bundle"


def check_connection(engine: Engine, connection: registry.Connection) -> str:
    """Reach the provider with the connection's credentials and say what answered; raises SyncError or
    AuthError saying precisely what failed. An SFTP server's key is pinned at the first test."""
    if connection.source == "rest":
        return _test_rest(connection)
    if connection.source == "sftp":
        location = SftpLocation(**connection.sftp)
        data, host_key = fetch(location)
        if not location.host_key:
            registry.pin_host_key(engine, connection.name, host_key)
        return _test_bundle(data, f"sftp://{location.host}:{location.port}/{location.path}")
    if not connection.csv_path:
        return "takes uploads; nothing to reach"
    try:
        with open(connection.csv_path, "rb") as bundle:
            return _test_bundle(bundle.read(), connection.csv_path)
    except OSError as error:
        raise SyncError(f"cannot read {connection.csv_path}: {error.strerror}") from None


def accept_request(engine: Engine, name: str, delta: bool = False) -> str:
    """Record a sync request for a connection and return its job id (run it with `run_request`)."""
    job_id = uuid.uuid4().hex[:12]
    accepted = datetime.now(UTC).isoformat(timespec="seconds")
    with engine.begin() as db:
        row = {"job_id": job_id, "connection": name, "kind": "delta" if delta else "full"}
        db.execute(insert(requests), {**row, "status": "accepted", "accepted": accepted})
    return job_id


def run_request(engine: Engine, job_id: str, upload: bytes | None = None) -> str:
    """Run an accepted request, recording its progress per entity and its outcome; returns its status."""
    with engine.begin() as db:
        request = db.execute(select(requests).where(requests.c.job_id == job_id)).first()
        if request is None or request.status != "accepted":
            return "unknown"
        db.execute(update(requests).where(requests.c.job_id == job_id).values(status="running"))

    def on_progress(entity: str, received: int, total: int | None) -> None:
        with engine.begin() as db:
            db.execute(delete(progress).where(progress.c.job_id == job_id, progress.c.entity == entity))
            db.execute(insert(progress), {"job_id": job_id, "entity": entity, "received": received, "total": total})

    status, message = "failed", ""
    try:
        connection = registry.find(engine, request.connection)
        if connection is None:
            raise SyncError(f"the connection {request.connection!r} is gone")
        result = run_connection(
            engine, connection, request.kind == "delta", upload, origin="requested", job_id=job_id, progress=on_progress
        )
        status = "succeeded"
        message = "deletions held for approval" if result.held else "applied"
    except (SyncError, AuthError) as error:
        message = str(error)
    except Exception as error:  # the request must end with a status, whatever happened
        message = f"unexpected error: {error!r}"
    with engine.begin() as db:
        db.execute(update(requests).where(requests.c.job_id == job_id).values(status=status, message=message))
    return status


def request_progress(engine: Engine, job_id: str) -> dict[str, tuple[int, int | None]]:
    """Records received so far per entity, with the total the provider announced (None when it did not)."""
    with engine.connect() as db:
        rows = db.execute(select(progress).where(progress.c.job_id == job_id)).all()
    return {row.entity: (row.received, row.total) for row in rows}


def approve_held(engine: Engine, name: str) -> int:
    """Apply the deletions a sync held back (recorded in the history); how many."""
    started = _now()
    counts: dict[str, dict[str, int]] = {}
    with engine.begin() as db:
        by_entity: dict[str, list[str]] = {}
        for row in db.execute(select(held).where(held.c.connection == name)).all():
            by_entity.setdefault(row.entity, []).append(row.sourced_id)
        for entity, ids in by_entity.items():
            rows = tombstone(db, TABLES[entity], name, ids)
            counts[entity] = {"deleted": len(rows)}
        db.execute(delete(held).where(held.c.connection == name))
        _record_decision(db, name, "approve", started, counts)
    return sum(c["deleted"] for c in counts.values())


def reject_held(engine: Engine, name: str) -> int:
    """Drop the held deletions without applying them (the records stay; recorded in the history); how many."""
    started = _now()
    with engine.begin() as db:
        kept = dict(
            db.execute(
                select(held.c.entity, func.count()).where(held.c.connection == name).group_by(held.c.entity)
            ).all()
        )
        db.execute(delete(held).where(held.c.connection == name))
        _record_decision(db, name, "reject", started, {entity: {"kept": count} for entity, count in kept.items()})
    return sum(kept.values())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _record_decision(db, name: str, kind: str, started: str, counts: dict[str, dict[str, int]]) -> None:
    """A line of the history for an approval (or rejection) of held deletions."""
    row = {"connection": name, "kind": kind, "origin": "manual", "started": started, "finished": _now()}
    db.execute(insert(runs), {**row, "seconds": "0.000", "outcome": "applied", "counts": counts})
