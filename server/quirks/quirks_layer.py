"""The quirk switches applied around the mock SIS, as an ASGI layer: what real providers do to requests and
responses that the standard does not say."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import Any

from rosterlab.server.errors import error_body, version_of_path
from rosterlab.server.quirks import bodies
from rosterlab.server.quirks.asgi import ASGIApp, Buffered, Receive, Scope, Send, answer, buffered, query_pairs
from rosterlab.server.quirks.rate_limit import REFUSAL, RateLimiter
from rosterlab.server.quirks.switches import Quirks

V1P1_ROOT = "/ims/oneroster/v1p1"
ROSTERING_V1P2 = "/ims/oneroster/rostering/v1p2/"
SCHOOL_SUBPATH = re.compile(r"^/ims/oneroster/(?:v1p1|rostering/v1p2|gradebook/v1p2|resources/v1p2)/schools/[^/]+/.+")
LB_COOKIE = "AWSALB"
SUCCESS_INFO = {
    "imsx_codeMajor": "success",
    "imsx_severity": "status",
    "imsx_description": "",
    "imsx_CodeMinor": {
        "imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "fullsuccess"}
        ]
    },
}


def _strings(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    return value


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


def _bearer(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value[:7].lower() == b"bearer "
    return True  # no credentials at all: the load balancer asks for its session first


class QuirksLayer:
    """Wraps the mock SIS with the configured quirks."""

    def __init__(
        self, app: ASGIApp, quirks: Quirks, token_path: str, on_shutdown: tuple[Callable[[], None], ...] = ()
    ) -> None:
        self.app = app
        self.on_shutdown = on_shutdown
        self.quirks = quirks
        self.token_path = token_path
        self.in_flight = 0
        self.cookies: set[str] = set()
        self.rate_limiter = RateLimiter(quirks.rate_limit) if quirks.rate_limit else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._watching_shutdown(receive), send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.quirks.max_concurrent
        if limit and self.in_flight >= limit:
            await answer(send, 429, {"error": "too many concurrent requests"}, {"Retry-After": "1"})
            return
        self.in_flight += 1
        try:
            await self._handle(scope, receive, send)
        finally:
            self.in_flight -= 1

    def _watching_shutdown(self, receive: Receive) -> Receive:
        async def watched() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                for release in self.on_shutdown:
                    release()
            return message

        return watched

    async def _refuse(self, send: Send, path: str, status: int, code: str, description: str) -> None:
        """A refusal made here, in the error shape the other quirks give the application's own."""
        body = error_body(version_of_path(path), code, description)
        response = Buffered(status, [(b"content-type", b"application/json")], body, complete=True)
        self._error(response)
        await response.send(send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        q = self.quirks
        if path == self.token_path and scope["method"] == "POST":
            await self._token(scope, receive, send)
            return
        if not path.startswith("/ims/oneroster/"):
            await self.app(scope, receive, send)
            return
        if q.rostering_reads_only and not (path.startswith(ROSTERING_V1P2) and scope["method"] in ("GET", "HEAD")):
            await self._refuse(send, path, 404, "unknownobject", "The specified resource was not found")
            return
        if q.v1p1_only and not path.startswith(V1P1_ROOT + "/"):
            await self._refuse(send, path, 404, "unknownobject", "this provider serves OneRoster 1.1 only")
            return
        if q.no_school_endpoints and SCHOOL_SUBPATH.match(path):
            await self._refuse(send, path, 404, "unknownobject", "this endpoint is not supported")
            return
        limits: dict[str, str] = {}
        if self.rate_limiter is not None:
            verdict = self.rate_limiter.admit(_client_address(scope))
            if not verdict.allowed:
                await answer(send, 429, REFUSAL, {**verdict.headers, "Content-Type": "text/plain; charset=utf-8"})
                return
            limits = verdict.headers
        # Without a bearer token there is no session to look for: the application says what it accepts.
        if q.lb_cookie and _bearer(scope) and not self._has_cookie(scope):
            await self._refuse(send, path, 401, "unauthorisedrequest", "session not found (no load-balancer cookie)")
            return
        response = await buffered(self.app, scope, receive)
        if response.complete:
            self._respond(scope, response)
        for name, value in limits.items():
            response.set_header(name, value)
        await response.send(send)

    def _has_cookie(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, cookie = part.strip().partition("=")
                    if key == LB_COOKIE and cookie in self.cookies:
                        return True
        return False

    def _respond(self, scope: Scope, response: Buffered) -> None:
        q = self.quirks
        if response.status >= 400:
            self._error(response)
            return
        if response.status != 200:
            return
        if q.no_count_headers:
            response.set_header("X-Total-Count", None)
            response.set_header("Link", None)
        if q.malformed_link and response.header("Link"):
            link = response.header("Link") or ""
            link = re.sub(
                r"offset=(\d+)([^>]*)>;\s*rel=\"last\"", lambda m: f'offset={int(m[1]) + 1}{m[2]}>; rel="last"', link
            )
            response.set_header("Link", link + ",")  # the ",\n" of a joined list; HTTP carries the comma
        if self._rewrites_bodies:
            body = response.json()
            if isinstance(body, dict):
                response.set_json(self._rewritten(scope, body))

    @property
    def _rewrites_bodies(self) -> bool:
        q = self.quirks
        return any(
            (
                q.string_booleans,
                q.status_info_on_success,
                q.wrong_envelope_keys,
                q.null_optional_fields,
                q.string_periods,
                q.empty_parent,
            )
        )

    def _rewritten(self, scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
        q, path = self.quirks, scope["path"]
        version = version_of_path(path)
        selected = any(name == "fields" for name, _ in query_pairs(scope))
        for entity, record in bodies.records(body, version):
            if entity is not None and q.null_optional_fields and not selected:
                bodies.null_optional_fields(record, entity)
            if q.string_periods:
                bodies.string_periods(record)
            if entity is not None and q.empty_parent:
                bodies.empty_parent(record, entity)
        if q.wrong_envelope_keys:
            body = bodies.with_keys_after_path(body, path)
        if q.string_booleans and path.startswith(V1P1_ROOT + "/"):
            body = _strings(body)
        if q.status_info_on_success and "statusInfoSet" not in body:  # a warning already there stays
            body["statusInfoSet"] = [SUCCESS_INFO]
        return body

    def _error(self, response: Buffered) -> None:
        q = self.quirks
        if not (q.flat_code_minor or q.auth_errors_without_code_minor or q.error_body_plain):
            return
        body = response.json()
        if q.error_body_plain:
            response.set_json(bodies.plain_error(body))
            return
        if q.auth_errors_without_code_minor and response.status in (401, 403, 404):
            body = bodies.map_status_infos(body, bodies.without_code_minor)
        elif q.flat_code_minor:
            body = bodies.map_status_infos(body, bodies.flat_status)
        response.set_json(body)

    async def _token(self, scope: Scope, receive: Receive, send: Send) -> None:
        q = self.quirks
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if q.token_redirect and not host.startswith("localhost"):
            port = host.rsplit(":", 1)[1] if ":" in host else "80"
            location = f"http://localhost:{port}{self.token_path}"
            await answer(send, 307, {"moved": location}, {"Location": location})
            return
        if q.token_query_only and not any(k == "client_id" for k, _ in query_pairs(scope)):
            description = "this provider takes client_id and client_secret in the query string"
            await answer(send, 401, {"error": "invalid_client", "error_description": description})
            return
        response = await buffered(self.app, scope, receive)
        if q.lb_cookie and response.status == 200:
            cookie = secrets.token_hex(8)
            self.cookies.add(cookie)
            response.headers.append((b"set-cookie", f"{LB_COOKIE}={cookie}; Path=/".encode()))
        await response.send(send)
