"""Paths ending in a slash are refused in the OneRoster envelope, never redirected before authentication.

The router answers `/ims/oneroster/v1p1/courses/` with a redirect to the path without the slash, before any
credentials are checked: an OAuth 1.0a client following it presents a signature made for the other URL, and
the Location names whichever host the request reached (not `--public-url`). A 404 that names the right path
tells the client what to fix instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from rosterlab.server.errors import DEFAULT_CODE_MINOR, error_body, version_of_path
from rosterlab.server.responses import JSON

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _location(message: dict[str, Any]) -> str | None:
    for name, value in message.get("headers", ()):
        if name.lower() == b"location":
            return value.decode("latin-1")
    return None


def strips_the_slash(path: str, message: dict[str, Any]) -> bool:
    """Whether a response start is the router's redirect from `path` to the same path without its slash."""
    location = _location(message)
    if message["status"] not in REDIRECTS or location is None:
        return False
    return unquote(urlsplit(location).path) == path.rstrip("/")


def refusal(path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The 404 start and body messages for `path`, in the envelope of its version."""
    description = f"no such endpoint: {path} ends with a slash; the endpoint is {path.rstrip('/')}"
    body = error_body(version_of_path(path), DEFAULT_CODE_MINOR[404], description)
    headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
    start = {"type": "http.response.start", "status": 404, "headers": headers}
    return start, {"type": "http.response.body", "body": body, "more_body": False}


class NoSlashRedirects:
    """ASGI middleware: the router's trailing-slash redirects become 404s in the OneRoster envelope."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or len(path) < 2 or not path.endswith("/"):
            await self.app(scope, receive, send)
            return
        refused = False

        async def send_or_refuse(message: dict[str, Any]) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and strips_the_slash(path, message):
                refused = True
                start, body = refusal(path)
                await send(start)
                await send(body if scope.get("method") != "HEAD" else {**body, "body": b""})
            elif not refused:
                await send(message)

        await self.app(scope, receive, send_or_refuse)
