"""The OAuth 2.0 token endpoint as an ASGI route: gather the parameters, let the token server answer.

RFC 6749 4.4.2 and 3.2: the parameters come form-urlencoded in the body, each at most once, and a parameter
without a value counts as absent. A request that cannot be read so is refused with `invalid_request` before
the token server sees it. The leniency switches widen what is read: a JSON object body, the query string.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from starlette.requests import Request
from starlette.responses import Response

from rosterlab.server.auth.oauth2 import TokenLeniency, TokenServer, describable

log = logging.getLogger("rosterlab.server.auth")
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class BadTokenRequest(Exception):
    """A token request whose parameters cannot be read, or that gives one twice: RFC 6749's invalid_request."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = describable(description, limit=300)


class _JSONObject(list):
    """The name/value pairs of a JSON object, in order, duplicates kept."""


def _form_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    """The name/value pairs of an application/x-www-form-urlencoded text (a body, a query string)."""
    if _BAD_ESCAPE.search(raw):
        raise BadTokenRequest(f"malformed {where}: a % not followed by two hex digits")
    pairs = []
    for field in raw.split(b"&"):
        if not field:
            continue
        name, equals, value = field.partition(b"=")
        if not equals or not name:
            raise BadTokenRequest(f"malformed {where}: every field must be name=value")
        try:
            pairs.append((_unescape(name), _unescape(value)))
        except UnicodeDecodeError:
            raise BadTokenRequest(f"malformed {where}: not UTF-8 once percent-decoded") from None
    return pairs


def _unescape(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")


def _json_pairs(body: bytes) -> list[tuple[str, str]]:
    """The parameters of a JSON object body: string values, null as absent."""
    try:
        parsed = json.loads(body.decode("utf-8"), object_pairs_hook=_JSONObject)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadTokenRequest("malformed JSON body") from None
    if not isinstance(parsed, _JSONObject):
        raise BadTokenRequest("the JSON body must be an object of parameters")
    pairs = []
    for name, value in parsed:
        if value is not None and not isinstance(value, str):
            raise BadTokenRequest(f"the JSON parameter {name} must be a string")
        pairs.append((name, value or ""))
    return pairs


def _body_pairs(media_type: str, body: bytes, leniency: TokenLeniency) -> list[tuple[str, str]]:
    accepted = f"{FORM} or {JSON}" if leniency.json_body else FORM
    if media_type == FORM:
        return _form_pairs(body, "form body")
    if media_type == JSON:
        if not leniency.json_body:
            raise BadTokenRequest(f"a JSON body is not accepted: send the parameters as {FORM}")
        return _json_pairs(body)
    if not media_type:
        if not body:  # no parameters in the body at all
            return []
        raise BadTokenRequest(f"a body without a Content-Type: send {accepted}")
    raise BadTokenRequest(f"unsupported Content-Type {media_type}: send {accepted}")


async def _parameters(request: Request, leniency: TokenLeniency) -> dict[str, str]:
    """The request's parameters; BadTokenRequest if they cannot be read or one is given twice."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    pairs = _body_pairs(media_type, await request.body(), leniency)
    if leniency.query_string:
        pairs += _form_pairs(request.scope.get("query_string", b""), "query string")
    repeated = sorted(name for name, count in Counter(name for name, _ in pairs).items() if count > 1)
    if repeated:
        raise BadTokenRequest(f"parameters may be given only once: {', '.join(repeated)} given more than once")
    data = {name: value for name, value in pairs if value}  # RFC 6749 3.2: no value is no parameter
    if "grant_type" not in data:
        if leniency.missing_grant_type:
            data["grant_type"] = "client_credentials"
        elif "grant_type" in request.query_params:
            raise BadTokenRequest(f"grant_type is missing (the query string is not read: send {FORM})")
    return data


def token_route(server: TokenServer, leniency: TokenLeniency):
    """The POST handler of the token endpoint."""

    async def token(request: Request) -> Response:
        data: dict[str, str] = {}
        try:
            data = await _parameters(request, leniency)
        except BadTokenRequest as bad:
            status, body, headers = InvalidRequestError(description=bad.description)()
        else:
            status, body, headers = server.respond(request.method, str(request.url), request.headers, data)
        if status != 200:
            # The error code, never the credentials, reaches the log.
            client = describable(data.get("client_id", "-"), limit=60)
            log.info("token refused: %s (client %s)", body.get("error"), client)
        response_headers: dict[str, Any] = dict(headers)
        response_headers.setdefault("Cache-Control", "no-store")
        response_headers.pop("Content-Type", None)
        return Response(orjson.dumps(body), status, response_headers, media_type="application/json")

    return token
