"""A log of every request each client makes to the mock (`rosterlab serve --record-requests`), kept in the
server's database so that `rosterlab report consumer` can grade how a client behaved.

An ASGI layer sees requests and responses as they are; it learns which client a bearer token belongs to from
the token endpoint's own answers, and reads OAuth 1.0a consumer keys from the Authorization header.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text, insert, inspect, text

from rosterlab.server.quirks.asgi import ASGIApp, Receive, Scope, Send

metadata = MetaData()

requests = Table(
    "request_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),  # seconds since the epoch
    Column("client", String, nullable=True, index=True),
    Column("method", String, nullable=False),
    Column("path", String, nullable=False),
    Column("query", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("retry_after", String, nullable=True),
    Column("total", Integer, nullable=True),  # X-Total-Count of the response
    Column("records", Integer, nullable=True),  # how many records a collection page held
    Column("body_hash", String, nullable=True),  # of a write's request body
    Column("scope_asked", Text, nullable=True),  # token requests
    Column("scope_granted", Text, nullable=True),
    Column("auth", String, nullable=True),  # oauth1, bearer, basic or none
    Column("reason", Text, nullable=True),  # what a refusal (4xx, 5xx) said about itself
    Column("body", Text, nullable=True),  # a write's JSON request body (never a token request's), cut at BODY
    Column("token_lifetime", Float, nullable=True),  # expires_in of an issued token
)
ADDED = ("reason", "body", "token_lifetime")  # columns later than the first log: added to older logs
BODY = 65_536

CONSUMER_KEY = re.compile(r'oauth_consumer_key="([^"]*)"')


def ensure_table(engine: Engine) -> None:
    """The log's table, created, or given the columns an older log lacks."""
    metadata.create_all(engine)
    present = {column["name"] for column in inspect(engine).get_columns(requests.name)}
    with engine.begin() as connection:
        for name in ADDED:
            if name not in present:
                kind = requests.c[name].type.compile(engine.dialect)
                connection.execute(text(f"ALTER TABLE {requests.name} ADD COLUMN {name} {kind}"))


def _reason(parsed: Any) -> str | None:
    """The description a refusal gives: 1.2's imsx_description, 1.1's first statusInfoSet, an OAuth error."""
    infos = parsed.get("statusInfoSet", [parsed]) if isinstance(parsed, dict) else []
    info = infos[0] if isinstance(infos, list) and infos and isinstance(infos[0], dict) else {}
    said = info.get("imsx_description") or info.get("error_description") or info.get("error")
    return str(said)[:200] if said else None


def _headers(scope_or_message: dict[str, Any]) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope_or_message.get("headers", [])}


class RequestLog:
    """Records each request and its outcome."""

    def __init__(self, app: ASGIApp, engine: Engine, token_path: str) -> None:
        self.app = app
        self.engine = engine
        self.token_path = token_path
        self.tokens: dict[str, str] = {}  # bearer token -> client id
        ensure_table(engine)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_body = bytearray()
        response: dict[str, Any] = {"status": 0, "headers": {}, "body": bytearray()}

        if scope["method"] not in ("GET", "HEAD"):  # read the body first: the app may refuse without reading it
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                request_body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        replayed = {"done": False}

        async def receiving() -> dict[str, Any]:
            if not replayed["done"]:
                replayed["done"] = True
                return {"type": "http.request", "body": bytes(request_body), "more_body": False}
            return await receive()

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = _headers(message)
            elif message["type"] == "http.response.body" and len(response["body"]) < 5_000_000:
                response["body"].extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receiving if scope["method"] not in ("GET", "HEAD") else receive, sending)
        finally:
            self._record(scope, bytes(request_body), response)

    def _client(self, headers: dict[bytes, bytes], form: dict[str, str]) -> tuple[str | None, str]:
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.startswith("Bearer "):
            return self.tokens.get(authorization[7:]), "bearer"
        if authorization.startswith("OAuth "):
            match = CONSUMER_KEY.search(authorization)
            return (match.group(1) if match else None), "oauth1"
        if authorization.startswith("Basic "):
            try:
                return base64.b64decode(authorization[6:]).decode().split(":", 1)[0], "basic"
            except ValueError:
                return None, "basic"
        return form.get("client_id"), "none"

    def _record(self, scope: Scope, body: bytes, response: dict[str, Any]) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        form = dict(parse_qsl(body.decode("latin-1"))) | dict(parse_qsl(query))
        client, auth = self._client(_headers(scope), form)
        row: dict[str, Any] = {
            "at": time.time(),
            "client": client,
            "method": scope["method"],
            "path": scope["path"],
            "query": query,
            "status": response["status"],
            "retry_after": response["headers"].get(b"retry-after", b"").decode() or None,
            "auth": auth,
        }
        total = response["headers"].get(b"x-total-count")
        row["total"] = int(total) if total and total.isdigit() else None
        if scope["method"] != "GET" and body:
            row["body_hash"] = hashlib.sha256(body).hexdigest()
            if scope["path"] != self.token_path and len(body) <= BODY:
                row["body"] = body.decode("utf-8", "replace")
        parsed = None
        if response["headers"].get(b"content-type", b"").startswith(b"application/json"):
            try:
                parsed = orjson.loads(bytes(response["body"]))
            except orjson.JSONDecodeError:
                parsed = None
        if response["status"] >= 400:
            row["reason"] = _reason(parsed) or bytes(response["body"][:200]).decode("utf-8", "replace") or None
        if response["status"] != 200:
            parsed = None
        if scope["path"] == self.token_path:
            row["scope_asked"] = form.get("scope", "")
            if isinstance(parsed, dict) and "access_token" in parsed:
                row["scope_granted"] = parsed.get("scope", "")
                expires = parsed.get("expires_in")
                row["token_lifetime"] = float(expires) if isinstance(expires, int | float) else None
                if client:
                    self.tokens[parsed["access_token"]] = client
        elif isinstance(parsed, dict):
            lists = [value for value in parsed.values() if isinstance(value, list)]
            row["records"] = len(lists[0]) if len(lists) == 1 else None
        with self.engine.begin() as connection:
            connection.execute(insert(requests), row)
