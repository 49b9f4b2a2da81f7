"""The OAuth 2.0 token endpoint as an ASGI route: gather the parameters, let the token server answer."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from rosterlab.server.auth.oauth2 import TokenLeniency, TokenServer

log = logging.getLogger("rosterlab.server.auth")
FORM = "application/x-www-form-urlencoded"


async def _parameters(request: Request, leniency: TokenLeniency) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: dict[str, str] = {}
    if content_type == FORM:
        data = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    elif content_type == "application/json" and leniency.json_body:
        try:
            parsed = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            parsed = {}
        if isinstance(parsed, dict):
            data = {str(key): str(value) for key, value in parsed.items()}
    if leniency.query_string:
        data = {**dict(request.query_params), **data}
    if leniency.missing_grant_type and "grant_type" not in data:
        data["grant_type"] = "client_credentials"
    return data


def token_route(server: TokenServer, leniency: TokenLeniency):
    """The POST handler of the token endpoint."""

    async def token(request: Request) -> Response:
        data = await _parameters(request, leniency)
        status, body, headers = server.respond(request.method, str(request.url), request.headers, data)
        if status != 200:
            # The error code, never the credentials, reaches the log.
            log.info("token refused: %s (client %s)", body.get("error"), data.get("client_id", "-"))
        response_headers: dict[str, Any] = dict(headers)
        response_headers.setdefault("Cache-Control", "no-store")
        response_headers.pop("Content-Type", None)
        return Response(orjson.dumps(body), status, response_headers, media_type="application/json")

    return token
