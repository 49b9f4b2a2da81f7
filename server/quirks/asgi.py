"""ASGI plumbing shared by the quirk and fault layers: buffered responses and small JSON answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Buffered:
    """A whole response of the wrapped application, to be changed before it is sent."""

    status: int = 200
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    complete: bool = False  # False when the application stopped mid-body (a dropped connection)

    def header(self, name: str) -> str | None:
        key = name.lower().encode()
        return next((v.decode("latin-1") for k, v in self.headers if k.lower() == key), None)

    def set_header(self, name: str, value: str | None) -> None:
        key = name.lower().encode()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != key]
        if value is not None:
            self.headers.append((key, value.encode("latin-1")))

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    def set_json(self, value: Any) -> None:
        self.body = orjson.dumps(value)

    async def send(self, send: Send, body: bytes | None = None) -> None:
        """Send the response (left unfinished, as it came, when the application dropped it mid-body)."""
        body = self.body if body is None else body
        if self.complete or body is not self.body:
            self.set_header("content-length", str(len(body)))
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": body, "more_body": not self.complete and body is self.body})


async def buffered(app: ASGIApp, scope: Scope, receive: Receive) -> Buffered:
    """Run `app` and keep its response."""
    response = Buffered()
    chunks: list[bytes] = []

    async def keep(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            response.status = message["status"]
            response.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            response.complete = not message.get("more_body", False)

    await app(scope, receive, keep)
    response.body = b"".join(chunks)
    return response


async def answer(send: Send, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
    """A JSON answer made here, not by the application."""
    response = Buffered(status, [(b"content-type", b"application/json")], complete=True)
    for name, value in (headers or {}).items():
        response.set_header(name, value)
    if isinstance(body, bytes):
        response.body = body
    else:
        response.set_json(body)
    await response.send(send)


def query_pairs(scope: Scope) -> list[tuple[str, str]]:
    """The request's query parameters, in order."""
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
