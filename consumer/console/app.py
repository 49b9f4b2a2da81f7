"""The console's routes: server-rendered pages over the consumer's database, one admin login, CSRF on every form."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, func, select

from rosterlab.consumer import connections as registry
from rosterlab.consumer.actions import (
    InvalidConnection,
    accept_request,
    approve_held,
    build_connection,
    check_connection,
    reject_held,
    request_progress,
    run_request,
)
from rosterlab.consumer.auth import AuthError
from rosterlab.consumer.client import SyncError
from rosterlab.consumer.console.forms import form_values, read_form
from rosterlab.consumer.schedules import KINDS, describe
from rosterlab.consumer.store import held, requests, runs
from rosterlab.spec.csv_bundle import read_bundle
from rosterlab.web import STATIC_FOLDER

ADMIN = "admin"
MAX_UPLOAD = 512 * 1024 * 1024
HISTORY_SHOWN = 25
SCHEDULE_CHOICES = [(kind, kind.capitalize()) for kind in KINDS]


def create_console(
    engine: Engine, password: str, secret_key: str | None = None, run_in_background: Callable | None = None
) -> Flask:
    """The console over a consumer database; `password` is the admin's. Syncs run in background threads
    (or through `run_in_background(function, *args)` when given)."""
    app = Flask(__name__, static_folder=STATIC_FOLDER)
    app.config.update(
        SECRET_KEY=secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=MAX_UPLOAD,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    CSRFProtect(app)
    start = run_in_background or _thread

    def login_required(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if session.get("user") != ADMIN:
                return redirect(url_for("login", next=request.path))
            return view(*args, **kwargs)

        return guarded

    def stored(name: str) -> registry.Connection:
        connection = registry.find(engine, name)
        if connection is None:
            abort(404, f"no connection {name!r}")
        return connection

    @app.get("/login")
    def login() -> str:
        return render_template("login.html")

    @app.post("/login")
    def log_in() -> Any:
        given = request.form.get("password", "")
        if request.form.get("username") == ADMIN and hmac.compare_digest(given.encode(), password.encode()):
            session.clear()
            session["user"] = ADMIN
            target = request.args.get("next") or ""
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("index"))
        flash("Wrong user name or password.", "error")
        return render_template("login.html"), 401

    @app.post("/logout")
    def log_out() -> Any:
        session.clear()
        return redirect(url_for("login"))

    @app.get("/")
    @login_required
    def index() -> str:
        with engine.connect() as db:
            last = {
                row.connection: row
                for row in db.execute(select(runs).order_by(runs.c.id)).all()  # the newest run wins
            }
            holding = {
                row[0]: row[1]
                for row in db.execute(select(held.c.connection, func.count()).group_by(held.c.connection))
            }
        listed = [
            (c, describe(c.schedule), last.get(c.name), holding.get(c.name, 0)) for c in registry.load_all(engine)
        ]
        return render_template("index.html", connections=listed)

    @app.get("/connections/new")
    @login_required
    def new_connection() -> str:
        return render_template("form.html", values={}, kinds=SCHEDULE_CHOICES, editing=False)

    @app.post("/connections/new")
    @login_required
    def add_connection() -> Any:
        return _save(None)

    @app.get("/connections/<name>/edit")
    @login_required
    def edit_connection(name: str) -> str:
        return render_template("form.html", values=form_values(stored(name)), kinds=SCHEDULE_CHOICES, editing=True)

    @app.post("/connections/<name>/edit")
    @login_required
    def update_connection(name: str) -> Any:
        return _save(stored(name))

    def _save(previous: registry.Connection | None) -> Any:
        try:
            form = read_form(request.form, previous)
            if previous is None and registry.find(engine, form.name.strip()):
                raise InvalidConnection(f"a connection called {form.name.strip()!r} exists already")
            connection = build_connection(form)
        except InvalidConnection as error:
            flash(str(error), "error")
            values = {**request.form, "name": previous.name if previous else request.form.get("name", "")}
            return render_template(
                "form.html", values=values, kinds=SCHEDULE_CHOICES, editing=previous is not None
            ), 400
        registry.save(engine, connection)
        flash(f"Saved {connection.name}.", "ok")
        return redirect(url_for("connection_page", name=connection.name))

    @app.get("/connections/<name>")
    @login_required
    def connection_page(name: str) -> str:
        connection = stored(name)
        with engine.connect() as db:
            history = db.execute(
                select(runs).where(runs.c.connection == name).order_by(runs.c.id.desc()).limit(HISTORY_SHOWN)
            ).all()
            holding = db.execute(
                select(held.c.entity, func.count()).where(held.c.connection == name).group_by(held.c.entity)
            ).all()
        return render_template(
            "connection.html",
            connection=connection,
            settings=connection.public(),
            schedule=describe(connection.schedule),
            history=history,
            holding=holding,
        )

    @app.post("/connections/<name>/test")
    @login_required
    def test_connection(name: str) -> Any:
        try:
            flash(f"OK: {check_connection(engine, stored(name))}", "ok")
        except (SyncError, AuthError) as error:
            flash(f"FAILED: {error}", "error")
        return redirect(url_for("connection_page", name=name))

    @app.post("/connections/<name>/sync")
    @login_required
    def sync_now(name: str) -> Any:
        stored(name)
        job_id = accept_request(engine, name, delta=request.form.get("kind") == "delta")
        start(run_request, engine, job_id)
        return redirect(url_for("job_page", job_id=job_id))

    @app.post("/connections/<name>/upload")
    @login_required
    def upload(name: str) -> Any:
        connection = stored(name)
        if connection.source != "csv":
            abort(400, f"{name} is a {connection.source} connection; uploads are for CSV connections")
        file = request.files.get("bundle")
        data = file.read() if file else b""
        if not data:
            flash("Choose a OneRoster CSV zip to upload.", "error")
            return redirect(url_for("connection_page", name=name))
        bundle = read_bundle(data)
        if bundle.issues:
            by_file: dict[str, list] = {}
            for issue in bundle.issues:
                by_file.setdefault(issue.file or "(the zip)", []).append(issue)
            return render_template("upload_report.html", connection=connection, filename=file.filename,
                                   by_file=by_file, count=len(bundle.issues)), 400  # fmt: skip
        job_id = accept_request(engine, name)
        start(run_request, engine, job_id, data)
        return redirect(url_for("job_page", job_id=job_id))

    @app.post("/connections/<name>/held/<decision>")
    @login_required
    def decide_held(name: str, decision: str) -> Any:
        stored(name)
        if decision == "approve":
            flash(f"Applied {approve_held(engine, name)} held deletion(s).", "ok")
        elif decision == "reject":
            flash(f"Dropped {reject_held(engine, name)} held deletion(s); the records stay.", "ok")
        else:
            abort(404)
        return redirect(url_for("connection_page", name=name))

    @app.post("/connections/<name>/remove")
    @login_required
    def remove_connection(name: str) -> Any:
        registry.remove(engine, stored(name).name)
        flash(f"Removed {name}; its synced records stay in the database.", "ok")
        return redirect(url_for("index"))

    @app.get("/jobs/<job_id>")
    @login_required
    def job_page(job_id: str) -> str:
        with engine.connect() as db:
            job = db.execute(select(requests).where(requests.c.job_id == job_id)).first()
        if job is None:
            abort(404, f"no sync request {job_id!r}")
        return render_template("job.html", job=job, progress=request_progress(engine, job_id))

    return app


def _thread(function: Callable, *args: Any) -> None:
    threading.Thread(target=function, args=args, daemon=True, name="rosterlab-console-sync").start()
