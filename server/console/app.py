"""The mock SIS console's pages: the store at a glance, entities browsed with the API's own query parameters,
time advanced, behaviour switched, requests and the consumer report, clients issued and revoked."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine, func, select

from rosterlab.server.auth.registry import ALL_SCOPES, Registry
from rosterlab.server.churn import advance, clock
from rosterlab.server.config import ServerConfig
from rosterlab.server.console.live import configured, store_settings, stored_settings, switches_beyond
from rosterlab.server.errors import OneRosterError
from rosterlab.server.query.params import read_collection_query
from rosterlab.server.quirks.profiles import PROFILES
from rosterlab.server.request_log import requests as requests_table
from rosterlab.server.store.read import read_page
from rosterlab.server.store.tables import ENTITY_TABLES
from rosterlab.spec.endpoints import operation
from rosterlab.spec.model import Version
from rosterlab.web import STATIC_FOLDER

ADMIN = "admin"
SHOWN_REQUESTS = 200
QUERY_PARAMETERS = ("filter", "sort", "orderBy", "limit", "offset")
# What can be browsed: collection name -> the operation that lists it (1.2).
COLLECTIONS = {
    "orgs": "getAllOrgs",
    "academicSessions": "getAllAcademicSessions",
    "courses": "getAllCourses",
    "classes": "getAllClasses",
    "users": "getAllUsers",
    "enrollments": "getAllEnrollments",
    "demographics": "getAllDemographics",
    "categories": "getAllCategories",
    "lineItems": "getAllLineItems",
    "results": "getAllResults",
}
# The field shown beside sourcedId, status and dateLastModified in the browse table.
LABELS = ("name", "title", "familyName", "role", "score", "sex")


def _label(document: dict[str, Any]) -> str:
    parts = [str(document[key]) for key in LABELS if document.get(key) not in (None, "")]
    if "givenName" in document:
        parts.insert(0, str(document["givenName"]))
    return " ".join(parts)


def create_sis_console(engine: Engine, config: ServerConfig, registry: Registry, password: str) -> Flask:
    """The console over the mock's store; `password` is the admin's (the server's admin password)."""
    app = Flask(__name__, static_folder=STATIC_FOLDER)
    app.config.update(SECRET_KEY=secrets.token_hex(32), SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      WTF_CSRF_TIME_LIMIT=None)  # fmt: skip
    CSRFProtect(app)

    def login_required(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if session.get("user") != ADMIN:
                return redirect(url_for("login"))
            return view(*args, **kwargs)

        return guarded

    @app.get("/login")
    def login() -> str:
        return render_template("sis_login.html")

    @app.post("/login")
    def log_in() -> Any:
        if request.form.get("username") == ADMIN and hmac.compare_digest(
            request.form.get("password", "").encode(), password.encode()
        ):
            session.clear()
            session["user"] = ADMIN
            return redirect(url_for("overview"))
        flash("Wrong user name or password.", "error")
        return render_template("sis_login.html"), 401

    @app.get("/")
    @login_required
    def overview() -> str:
        with engine.connect() as connection:
            counts = {
                name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in ENTITY_TABLES.items()
            }
            now = clock(connection).isoformat()
        effective = configured(config, *stored_settings(engine))
        return render_template(
            "sis_overview.html",
            counts=counts,
            now=now,
            profile=effective.profile,
            quirks=effective.quirks.settings(),
            switches=",".join(switches_beyond(effective.quirks, effective.profile)),
            faults=effective.faults.text() if effective.faults else "",
            profiles=PROFILES,
        )

    @app.post("/advance")
    @login_required
    def advance_clock() -> Any:
        try:
            days = int(request.form.get("days", "1"))
            seed = int(request.form.get("seed") or "1")
            if not 1 <= days <= 366:
                raise ValueError
        except ValueError:
            flash("Days must be a whole number from 1 to 366 (and the seed a whole number).", "error")
            return redirect(url_for("overview"))
        summary = advance(engine, days, seed)
        changed = ", ".join(f"{count} {kind}" for kind, count in summary.changes.items() if count) or "nothing"
        flash(f"Advanced {days} day(s) to {summary.end}: {changed}.", "ok")
        return redirect(url_for("overview"))

    @app.post("/behaviour")
    @login_required
    def switch_behaviour() -> Any:
        try:
            store_settings(
                engine,
                request.form.get("profile", "strict"),
                request.form.get("faults", "").strip(),
                request.form.get("quirks", "").strip(),
            )
        except ValueError as error:
            flash(f"Not switched: {error}", "error")
        else:
            flash("Switched; every worker follows within a second.", "ok")
        return redirect(url_for("overview"))

    @app.get("/browse")
    @login_required
    def browse() -> str:
        collection = request.args.get("collection", "users")
        op = operation(COLLECTIONS.get(collection, "getAllUsers"))
        query_params = {k: [v] for k, v in request.args.items() if k in QUERY_PARAMETERS and v != ""}
        query_params.setdefault("limit", ["25"])
        rows, total, error = [], 0, None
        try:
            query = read_collection_query(query_params, op.entity_in(Version.V1P2), Version.V1P2, config)
            with engine.connect() as connection:
                page = read_page(connection, op, Version.V1P2, {}, query)
            rows = [orjson.loads(document) for document in page.documents]
            total = page.total
        except OneRosterError as refused:
            error = f"{refused.code_minor}: {refused.description}"
        offset = int(query_params.get("offset", ["0"])[0] or 0) if error is None else 0
        limit = int(query_params["limit"][0]) if error is None else 25
        return render_template("sis_browse.html", collections=COLLECTIONS, collection=collection, rows=rows,
                               total=total, error=error, args=request.args, label=_label, offset=offset,
                               limit=limit)  # fmt: skip

    @app.get("/requests")
    @login_required
    def requests_page() -> str:
        from rosterlab.conformance.consumer_report import clients as logged_clients
        from rosterlab.conformance.consumer_report import grade_client

        table = requests_table
        with engine.connect() as connection:
            rows = connection.execute(select(table).order_by(table.c.id.desc()).limit(SHOWN_REQUESTS)).all()
        grades = {client: grade_client(engine, client) for client in logged_clients(engine)}
        return render_template("sis_requests.html", rows=rows, grades=grades, recording=config.record_requests)

    @app.get("/clients")
    @login_required
    def clients_page() -> str:
        return render_template("sis_clients.html", clients=registry.all(), scopes=ALL_SCOPES, issued=None)

    @app.post("/clients")
    @login_required
    def issue_client() -> Any:
        name = request.form.get("name", "").strip() or "console client"
        scopes = tuple(request.form.getlist("scopes")) or ALL_SCOPES
        orgs = tuple(org.strip() for org in request.form.get("orgs", "").split(",") if org.strip())
        try:
            issued = registry.add(name, scopes, orgs)
        except ValueError as error:
            flash(str(error), "error")
            return redirect(url_for("clients_page"))
        return render_template("sis_clients.html", clients=registry.all(), scopes=ALL_SCOPES, issued=issued)

    @app.post("/clients/<client_id>/revoke")
    @login_required
    def revoke_client(client_id: str) -> Any:
        if registry.revoke(client_id):
            flash(f"Revoked {client_id} and every token it held.", "ok")
        else:
            flash(f"No client {client_id}.", "error")
        return redirect(url_for("clients_page"))

    return app
