"""The mock SIS as an ASGI application: connexion routes the spec/ documents to the handlers."""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware.main import ConnexionMiddleware, MiddlewarePosition
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.responses import Response

from rosterlab.server.admin import admin_routes
from rosterlab.server.auth.guard import Authenticator
from rosterlab.server.auth.oauth2 import TokenLeniency, TokenServer
from rosterlab.server.auth.registry import Registry
from rosterlab.server.auth.secrets import SecretBox
from rosterlab.server.auth.token_endpoint import token_route
from rosterlab.server.body_gate import BodyGate
from rosterlab.server.churn import late_arrival, view_refresh
from rosterlab.server.config import ServerConfig
from rosterlab.server.errors import DEFAULT_CODE_MINOR, OneRosterError, error_body, version_of_path
from rosterlab.server.handlers import Handlers
from rosterlab.server.landing import WithLanding
from rosterlab.server.quirks.faults_layer import FaultsLayer
from rosterlab.server.quirks.quirks_layer import QuirksLayer
from rosterlab.server.quirks.views import Views
from rosterlab.server.refusals import refused
from rosterlab.server.request_log import RequestLog
from rosterlab.server.responses import JSON
from rosterlab.server.slashes import NoSlashRedirects
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import create_schema
from rosterlab.spec import documents
from rosterlab.spec.endpoints import OpKind, operation
from rosterlab.spec.openapi import DOCUMENTS, Document

log = logging.getLogger("rosterlab.server")

SERVED_KINDS = frozenset(OpKind)

# The discovery file names of each 1.2 service: the REST binding's and the conformance guide's.
DISCOVERY_NAMES = {
    "oneroster-v1p2-rostering": (
        "onerosterv1p2rostersservice_openapi3_v1p0.json",
        "imsorv1p2_rostering_openapi3_v1p0.json",
    ),
    "oneroster-v1p2-gradebook": (
        "onerosterv1p2gradebookservice_openapi3_v1p0.json",
        "imsorv1p2_gradebook_openapi3_v1p0.json",
    ),
    "oneroster-v1p2-resources": (
        "onerosterv1p2resourcesservice_openapi3_v1p0.json",
        "imsorv1p2_resources_openapi3_v1p0.json",
    ),
}


def served_document(document: Document) -> dict[str, Any]:
    """The committed document, less the operations this server does not serve yet."""
    spec = copy.deepcopy(documents.load(document))
    for path, item in list(spec["paths"].items()):
        for method, op in list(item.items()):
            if operation(op["operationId"]).kind not in SERVED_KINDS:
                del item[method]
        if not item:
            del spec["paths"][path]
    return spec


def _error_response(
    path: str, status: int, code_minor: str, description: str, headers: dict[str, str] | None = None
) -> ConnexionResponse:
    body = error_body(version_of_path(path), code_minor, description)
    return ConnexionResponse(status_code=status, body=body, content_type=JSON, headers=headers or {})


async def _oneroster_error(request: ConnexionRequest, error: OneRosterError) -> ConnexionResponse:
    if error.status != 401:  # the authenticator logs its own refusals, with the client id presented
        refused(error.status, request.method, request.url.path, error.description)
    return _error_response(request.url.path, error.status, error.code_minor, error.description, error.headers)


async def _problem(request: ConnexionRequest, problem: ProblemException) -> ConnexionResponse:
    status = problem.status or 500
    description = str(problem.detail or problem.title or "the request was refused")
    return _error_response(request.url.path, status, DEFAULT_CODE_MINOR.get(status, "invaliddata"), description)


class AllowedMethods:
    """Which methods each documented path answers (the router alone only knows the first route it tried)."""

    def __init__(self) -> None:
        self.paths: list[tuple[re.Pattern[str], set[str]]] = []

    def add(self, base: str, spec: dict[str, Any]) -> None:
        for template, item in spec["paths"].items():
            pattern = re.escape(base + template)
            pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", pattern)
            methods = {method.upper() for method in item}
            if "GET" in methods:
                methods.add("HEAD")
            self.paths.append((re.compile(pattern + "$"), methods))

    def of(self, path: str) -> str | None:
        methods = set().union(*(m for pattern, m in self.paths if pattern.match(path)))
        return ", ".join(sorted(methods)) or None


def _http_error_handler(allowed: AllowedMethods):
    async def http_error(request: ConnexionRequest, error: HTTPException) -> ConnexionResponse:
        status = error.status_code
        description = {404: "no such endpoint", 405: "this method is not allowed here"}.get(status, str(error.detail))
        headers = None
        if status == 405:
            allow = allowed.of(request.url.path) or (error.headers or {}).get("Allow")
            headers = {"Allow": allow} if allow else None
        code = DEFAULT_CODE_MINOR.get(status, "invaliddata")
        return _error_response(request.url.path, status, code, description, headers)

    return http_error


async def _unexpected(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return _error_response(request.url.path, 500, "internal_server_error", "the server failed; see its log")


# Authentication is rosterlab's own (OAuth 1.0a and 2.0 with OneRoster's scope rules), and so is the checking
# of query parameters, which gives OneRoster's codes and plain messages; responses are proven in the tests.
_LEFT_OUT = (SecurityMiddleware, RequestValidationMiddleware, ResponseValidationMiddleware)


def _middlewares() -> list:
    return [m for m in ConnexionMiddleware.default_middlewares if m not in _LEFT_OUT]


def _discovery_route(app: AsyncApp, base: str, name: str, spec: dict[str, Any]) -> None:
    async def discovery(request: Any) -> Response:
        origin = f"{request.url.scheme}://{request.url.netloc}"
        served = dict(spec, servers=[{"url": origin + base}])
        return Response(orjson.dumps(served), 200, media_type=JSON)

    app.add_url_rule(f"{base}/discovery/{name}", f"discovery-{name}", discovery, methods=["GET"])


def registry_for(config: ServerConfig, engine: Engine) -> Registry:
    """The client registry in the server's database, sealing secrets with the configured key."""
    return Registry(engine, SecretBox.from_configuration(config.secret_key, config.secret_key_file))


def create_app(
    config: ServerConfig | None = None, engine: Engine | None = None, clock: Callable[[], float] = time.time
) -> Any:
    """The mock SIS over `engine` (or over `config.database_url`); `clock` tells time to the auth checks."""
    config = config or ServerConfig()
    engine = engine or connect(config.database_url)
    if config.console:
        from rosterlab.server.console.serve import with_console  # Flask is loaded only for the console

        sis = with_console(config, engine, lambda chosen: create_app(replace(chosen, console=False), engine, clock))
        return WithLanding(sis, config, DISCOVERY_NAMES)
    create_schema(engine)
    app = AsyncApp(__name__, middlewares=_middlewares())
    app.add_middleware(NoSlashRedirects, position=MiddlewarePosition.BEFORE_EXCEPTION)  # before the router
    authenticator = None
    if config.authentication:
        registry = registry_for(config, engine)
        authenticator = Authenticator(registry, config, clock)
        leniency = TokenLeniency(
            config.token_json_body or config.quirks.token_json_body,
            config.token_query_string or config.quirks.token_query_only,
            config.token_missing_grant_type or config.quirks.token_without_grant_type,
        )
        token_server = TokenServer(registry, config.token_lifetime, clock)
        app.add_url_rule(config.token_path, "token", token_route(token_server, leniency), methods=["POST"])
    if config.admin_password:
        for path, name, route, methods in admin_routes(engine, config.admin_password):
            app.add_url_rule(path, name, route, methods=methods)
    allowed = AllowedMethods()
    views = (
        Views(engine, config.quirks.views_refresh_separately, config.quirks.seed, clock)
        if config.quirks.views_refresh_separately
        else None
    )
    for document in DOCUMENTS:
        handlers = Handlers(engine, config, document.version, authenticator, views)
        spec = served_document(document)
        allowed.add(document.base_path, spec)
        app.add_api(
            spec,
            base_path=document.base_path,
            name=document.name,
            resolver=Resolver(function_resolver=lambda op_id, h=handlers: h.handler(operation(op_id))),
            swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui"),
            validate_responses=False,
        )
        for name in DISCOVERY_NAMES.get(document.name, ()):
            _discovery_route(app, document.base_path, name, spec)
    app.add_error_handler(OneRosterError, _oneroster_error)
    app.add_error_handler(ProblemException, _problem)
    app.add_error_handler(HTTPException, _http_error_handler(allowed))
    app.add_error_handler(Exception, _unexpected)
    gated = BodyGate(app, config.max_body_bytes)
    return WithLanding(with_quirks_and_faults(gated, config, engine, views), config, DISCOVERY_NAMES)


def with_quirks_and_faults(app: Any, config: ServerConfig, engine: Engine, views: Views | None = None) -> Any:
    """The application wrapped in the configured quirks and faults (itself when there are none)."""
    served: Any = app
    if config.faults is not None:
        served = FaultsLayer(
            served,
            config.faults,
            change=lambda: late_arrival(engine),
            refresh=lambda before, seed: view_refresh(engine, before, seed),
        )
    if config.quirks.active:  # outermost: limits and refusals happen at the provider's front door
        served = QuirksLayer(served, config.quirks, config.token_path, (views.close,) if views else ())
    if config.record_requests:  # the log sees what the client sent and what it got back
        served = RequestLog(served, engine, config.token_path)
    return served


__all__ = ["create_app", "served_document"]
