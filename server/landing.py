"""The server's root: a landing page linking what it serves (HTML for a browser, JSON otherwise), and an icon."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from html import escape
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from rosterlab.server.config import ServerConfig
from rosterlab.server.errors import error_body
from rosterlab.server.responses import JSON
from rosterlab.spec.model import Version
from rosterlab.spec.openapi import DOCUMENTS, Document

FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    b'<rect width="32" height="32" rx="7" fill="#1d4ed8"/>'
    b'<text x="16" y="21.5" font-family="sans-serif" font-size="14" font-weight="700" fill="#fff" '
    b'text-anchor="middle">OR</text></svg>'
)
SVG = "image/svg+xml"


@dataclass(frozen=True)
class Api:
    """One OpenAPI document the server serves, with where to find it."""

    title: str
    base_url: str
    openapi: str
    swagger_ui: str
    discovery: tuple[str, ...]


@dataclass(frozen=True)
class Links:
    """Everything the landing page points to."""

    apis: tuple[Api, ...]
    token_url: str | None
    console: str | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form: the APIs, the token URL (None without authentication) and the console when served."""
        body: dict[str, Any] = {
            "service": "rosterlab mock SIS (OneRoster 1.1 and 1.2)",
            "apis": [asdict(api) for api in self.apis],
            "token_url": self.token_url,
        }
        if self.console:
            body["console"] = self.console
        return body


def _api(document: Document, origin: str, discovery_names: tuple[str, ...]) -> Api:
    base = origin + document.base_path
    return Api(
        title=document.title,
        base_url=base,
        openapi=f"{base}/openapi.json",
        swagger_ui=f"{base}/ui/",
        discovery=tuple(f"{base}/discovery/{name}" for name in discovery_names),
    )


def links(config: ServerConfig, origin: str, discovery: Mapping[str, tuple[str, ...]]) -> Links:
    """The links of a server configured by `config`, reached at `origin` (scheme://host[:port])."""
    apis = tuple(_api(document, origin, discovery.get(document.name, ())) for document in DOCUMENTS)
    token_url = origin + config.token_path if config.authentication else None
    return Links(apis, token_url, f"{origin}/console/" if config.console else None)


def _link(url: str, text: str | None = None) -> str:
    return f'<a href="{escape(url)}">{escape(text or url)}</a>'


def _api_item(api: Api) -> str:
    documents = [_link(api.openapi, "OpenAPI"), _link(api.swagger_ui, "Swagger UI")]
    documents += [_link(url, "discovery") for url in api.discovery]
    return f"<li><strong>{escape(api.title)}</strong>: {_link(api.base_url)}<br>{' | '.join(documents)}</li>"


def as_html(found: Links) -> str:
    """The landing page a browser shows."""
    items = [_api_item(api) for api in found.apis]
    if found.token_url:
        items.append(f"<li><strong>OAuth 2.0 token URL</strong>: {escape(found.token_url)} (POST)</li>")
    if found.console:
        items.append(f"<li><strong>Console</strong>: {_link(found.console)}</li>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rosterlab mock SIS</title>'
        '<link rel="icon" href="/favicon.ico" type="image/svg+xml">'
        "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;"
        "line-height:1.6}li{margin-bottom:.6rem}</style></head><body>"
        "<h1>rosterlab mock SIS</h1><p>OneRoster 1.1 and 1.2. Every OneRoster request needs credentials.</p>"
        f"<ul>{''.join(items)}</ul></body></html>"
    )


def _qualities(accept: str) -> dict[str, float]:
    """Each media range of an Accept header with its quality (1 when not given; 0 when unreadable)."""
    qualities: dict[str, float] = {}
    for media_range in accept.split(","):
        kind, *parameters = (part.strip() for part in media_range.split(";"))
        quality = 1.0
        for name, _, value in (parameter.partition("=") for parameter in parameters):
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        qualities[kind.lower()] = quality
    return qualities


def wants_html(accept: str) -> bool:
    """Whether an Accept header prefers HTML (a browser's does; curl's `*/*` and `application/json` do not)."""
    qualities = _qualities(accept)
    html = qualities.get("text/html", 0.0)
    return html > 0 and html >= qualities.get("application/json", 0.0)


class WithLanding:
    """ASGI middleware: `/` answers the landing page and `/favicon.ico` the icon; everything else goes to `app`."""

    def __init__(self, app: Any, config: ServerConfig, discovery: Mapping[str, tuple[str, ...]]) -> None:
        self.app = app
        self.config = config
        self.discovery = discovery

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] not in ("/", "/favicon.ico"):
            await self.app(scope, receive, send)
            return
        await self.respond(Request(scope))(scope, receive, send)

    def respond(self, request: Request) -> Response:
        """The landing page, the icon, or 405 for a method other than GET and HEAD."""
        if request.method not in ("GET", "HEAD"):
            body = error_body(Version.V1P2, "invaliddata", "this method is not allowed here")
            return Response(body, 405, headers={"Allow": "GET, HEAD"}, media_type=JSON)
        if request.url.path == "/favicon.ico":
            return Response(FAVICON, media_type=SVG, headers={"Cache-Control": "max-age=86400"})
        origin = (self.config.public_url or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")
        found = links(self.config, origin, self.discovery)
        headers = {"Vary": "Accept"}
        if wants_html(request.headers.get("accept", "")):
            return Response(as_html(found), media_type="text/html", headers=headers)
        return Response(orjson.dumps(found.as_dict()), media_type=JSON, headers=headers)
