"""Request bodies at the door: bounded in size (413) and, for OneRoster writes, JSON only (415).

The whole body, at most `limit` bytes, is read before the application sees the request, whether it announces
its length or streams in chunks; a larger one is refused without reading the rest. A PUT or POST under
`/ims/oneroster/` must be JSON (or carry no content type): a form or multipart body would be parsed by the
router as form fields, and the handler would then wait for a body that was already consumed.
"""

from __future__ import annotations

import logging
from typing import Any

from rosterlab.server.errors import error_body, version_of_path
from rosterlab.server.responses import JSON

log = logging.getLogger("rosterlab.server.refusals")

ONEROSTER_PREFIX = "/ims/oneroster/"
WRITE_METHODS = frozenset({"PUT", "POST", "PATCH"})


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON (application/json, or a +json type); no content type passes."""
    if content_type is None or not content_type.strip():
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def refuse(scope: dict[str, Any], send: Any, status: int, description: str) -> None:
    """Answer `status` with `description` in the envelope of the path's version."""
    path = scope.get("path", "")
    log.info("%s %s %s: %s", status, scope.get("method"), path, description)
    body = error_body(version_of_path(path), "invaliddata", description)
    headers = [(b"content-type", JSON.encode()), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body if scope.get("method") != "HEAD" else b""})


class BodyGate:
    """ASGI middleware: bodies over `limit` bytes are 413, OneRoster writes that are not JSON 415."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope.get("method", ""), scope.get("path", "")
        content_type = _header(scope, b"content-type")
        if method in WRITE_METHODS and path.startswith(ONEROSTER_PREFIX) and not is_json(content_type):
            await refuse(scope, send, 415, f"the body must be application/json, not {content_type}")
            return
        too_large = f"the body is larger than {self.limit} bytes"
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit() and len(length.strip()) < 20 and int(length) > self.limit:
            await refuse(scope, send, 413, too_large)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await refuse(scope, send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _replay(body: bytes, receive: Any) -> Any:
    """A receive callable that gives `body` once, then whatever the client sends next (its disconnect)."""
    given = False

    async def replayed() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
