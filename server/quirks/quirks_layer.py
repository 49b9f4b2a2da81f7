"""The quirk switches applied around the mock SIS, as an ASGI layer: what real providers do to requests and
responses that the standard does not say."""

from __future__ import annotations

import re
import secrets
from typing import Any

from rosterlab.server.errors import error_body, version_of_path
from rosterlab.server.quirks.asgi import ASGIApp, Buffered, Receive, Scope, Send, answer, buffered, query_pairs
from rosterlab.server.quirks.switches import Quirks

V1P1_ROOT = "/ims/oneroster/v1p1"
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


def _flatten_code_minor(info: dict[str, Any]) -> dict[str, Any]:
    minor = info.get("imsx_CodeMinor")
    if not isinstance(minor, dict):
        return info
    fields = minor.get("imsx_codeMinorField") or [{}]
    flat = {k: v for k, v in info.items() if k != "imsx_CodeMinor"}
    flat["imsx_codeMinor"] = fields[0].get("imsx_codeMinorFieldValue", "")
    return flat


class QuirksLayer:
    """Wraps the mock SIS with the configured quirks."""

    def __init__(self, app: ASGIApp, quirks: Quirks, token_path: str) -> None:
        self.app = app
        self.quirks = quirks
        self.token_path = token_path
        self.in_flight = 0
        self.cookies: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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

    async def _refuse(self, send: Send, path: str, status: int, code: str, description: str) -> None:
        await answer(send, status, error_body(version_of_path(path), code, description))

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        q = self.quirks
        if path == self.token_path and scope["method"] == "POST":
            await self._token(scope, receive, send)
            return
        if not path.startswith("/ims/oneroster/"):
            await self.app(scope, receive, send)
            return
        if q.v1p1_only and not path.startswith(V1P1_ROOT + "/"):
            await self._refuse(send, path, 404, "unknownobject", "this provider serves OneRoster 1.1 only")
            return
        if q.no_school_endpoints and SCHOOL_SUBPATH.match(path):
            await self._refuse(send, path, 404, "unknownobject", "this endpoint is not supported")
            return
        if q.lb_cookie and not self._has_cookie(scope):
            await self._refuse(send, path, 401, "unauthorisedrequest", "session not found (no load-balancer cookie)")
            return
        response = await buffered(self.app, scope, receive)
        if response.complete:
            self._respond(scope, response)
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
        path = scope["path"]
        if response.status >= 400 and q.flat_code_minor:
            body = response.json()
            if isinstance(body, dict) and "statusInfoSet" in body:
                body["statusInfoSet"] = [_flatten_code_minor(i) for i in body["statusInfoSet"]]
                response.set_json(body)
            elif isinstance(body, dict):
                response.set_json(_flatten_code_minor(body))
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
        if q.string_booleans and path.startswith(V1P1_ROOT + "/"):
            body = response.json()
            if body is not None:
                response.set_json(_strings(body))
        if q.status_info_on_success:
            body = response.json()
            if isinstance(body, dict) and "statusInfoSet" not in body:  # a warning already there stays
                body["statusInfoSet"] = [SUCCESS_INFO]
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
