"""The mock SIS's own admin API: let time pass and change records over HTTP, behind admin credentials.

    POST   /admin/advance               {"days": 3, "seed": 1}      -> what changed
    PUT    /admin/{entity}/{sourcedId}  a canonical 1.2 object      -> its new dateLastModified
    DELETE /admin/{entity}/{sourcedId}                              -> marks it tobedeleted

It is off unless the server is given an admin password (`rosterlab serve --admin-password`); requests
authenticate with HTTP Basic as `admin`.
"""

from __future__ import annotations

import base64
import hmac

import orjson
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from rosterlab.server.churn import advance, delete_record, set_record
from rosterlab.server.write.validate import BodyErrors, canonical_record
from rosterlab.spec.entities import V1P2
from rosterlab.spec.model import Version

ADMIN_USER = "admin"


def _json(status: int, body: object) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _authorized(request: Request, password: str) -> bool:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return False
    try:
        user, _, given = base64.b64decode(header[6:]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user, ADMIN_USER) & hmac.compare_digest(given.encode(), password.encode())


def admin_routes(engine: Engine, password: str):
    """(path, name, handler, methods) of the admin API."""

    async def guarded(request: Request) -> Response | None:
        if not _authorized(request, password):
            return Response(
                orjson.dumps({"error": "admin credentials required"}),
                401,
                {"WWW-Authenticate": 'Basic realm="rosterlab admin"'},
                media_type="application/json",
            )
        return None

    async def advance_route(request: Request) -> Response:
        if (refused := await guarded(request)) is not None:
            return refused
        try:
            body = orjson.loads(await request.body() or b"{}")
            days, seed = int(body.get("days", 1)), int(body.get("seed", 1))
        except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
            return _json(400, {"error": 'expected {"days": N, "seed": S}'})
        if not 1 <= days <= 3660:
            return _json(400, {"error": "days must be between 1 and 3660"})
        summary = advance(engine, days, seed)
        return _json(200, {"from": summary.start, "to": summary.end, "changes": dict(summary.changes)})

    async def record_route(request: Request) -> Response:
        if (refused := await guarded(request)) is not None:
            return refused
        entity, sourced_id = request.path_params["entity"], request.path_params["sourcedId"]
        if not V1P2.has_entity(entity):
            return _json(404, {"error": f"no entity {entity!r}"})
        if request.method == "DELETE":
            stamp = delete_record(engine, entity, sourced_id)
            return _json(404, {"error": "no such record"}) if stamp is None else _json(200, {"dateLastModified": stamp})
        try:
            record = canonical_record(V1P2.entity(entity), Version.V1P2, orjson.loads(await request.body()), sourced_id)
        except orjson.JSONDecodeError:
            return _json(400, {"error": "the body is not JSON"})
        except BodyErrors as errors:
            return _json(422, {"error": "; ".join(errors.problems)})
        return _json(200, {"dateLastModified": set_record(engine, entity, record)})

    return [
        ("/admin/advance", "admin-advance", advance_route, ["POST"]),
        ("/admin/{entity}/{sourcedId}", "admin-record", record_route, ["PUT", "DELETE"]),
    ]
