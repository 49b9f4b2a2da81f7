"""Who is calling, and may they call this operation: the check every OneRoster request passes first."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rosterlab.server.auth.oauth1 import OAuth1Refused, OAuth1Verifier
from rosterlab.server.auth.registry import Registry
from rosterlab.server.auth.token_scopes import granted_in
from rosterlab.server.config import ServerConfig
from rosterlab.server.errors import OneRosterError
from rosterlab.spec.endpoints import Operation
from rosterlab.spec.model import Version

log = logging.getLogger("rosterlab.server.auth")


@dataclass(frozen=True)
class Grant:
    """What an authenticated request may do: its client, scopes (short names) and org restriction."""

    client_id: str
    scopes: frozenset[str]
    orgs: tuple[str, ...]
    method: str  # "oauth1" or "oauth2"


def _challenge(version: Version, methods: frozenset[str]) -> dict[str, str]:
    schemes = []
    if "oauth2" in methods:
        schemes.append('Bearer realm="OneRoster"')
    if "oauth1" in methods:
        schemes.append('OAuth realm="OneRoster"')
    return {"WWW-Authenticate": ", ".join(schemes)}


class Authenticator:
    """Authenticates requests with OAuth 1.0a signatures or OAuth 2.0 bearer tokens, and checks scopes."""

    def __init__(self, registry: Registry, config: ServerConfig, clock: Callable[[], float] = time.time) -> None:
        self.registry = registry
        self.config = config
        self.clock = clock
        self.oauth1 = OAuth1Verifier(registry, config.oauth1_window, clock)

    def _refuse(self, version: Version, reason: str, request: Any, client_id: str | None = None) -> OneRosterError:
        # Only the method, the path and the client id are logged: never a query string, header or token.
        log.info("401 %s %s: %s (client %s)", request.method, request.url.path, reason, client_id or "-")
        methods = self.config.auth_methods(version)
        return OneRosterError(401, "unauthorisedrequest", reason, _challenge(version, methods))

    def authenticate(self, request: Any, version: Version) -> Grant:
        """The grant of a request's credentials; raises 401 unauthorisedrequest with the reason."""
        methods = self.config.auth_methods(version)
        header = request.headers.get("authorization", "")
        scheme = header.split(" ", 1)[0].lower()
        signed_in_query = "oauth_signature" in request.query_params
        if scheme == "bearer":
            if "oauth2" not in methods:
                raise self._refuse(version, f"OneRoster {version} here accepts only OAuth 1.0a signatures", request)
            return self._bearer(header.split(" ", 1)[1].strip() if " " in header else "", version, request)
        if scheme == "oauth" or signed_in_query:
            if "oauth1" not in methods:
                raise self._refuse(version, f"OneRoster {version} here accepts only OAuth 2.0 bearer tokens", request)
            return self._signed(request, version)
        if header:
            raise self._refuse(version, f"unsupported authorization scheme {scheme!r}", request)
        accepted = " or ".join(
            sorted({"oauth1": "an OAuth 1.0a signature", "oauth2": "a bearer token"}[m] for m in methods)
        )
        raise self._refuse(version, f"no credentials: send {accepted}", request)

    def _bearer(self, token: str, version: Version, request: Any) -> Grant:
        row = self.registry.token(token) if token else None
        if row is None:
            raise self._refuse(version, "unknown bearer token", request)
        if row.expires_at is not None and self.clock() >= row.expires_at:
            raise self._refuse(version, "the bearer token has expired", request, row.client_id)
        client = self.registry.get(row.client_id)
        if client is None or client.revoked:
            raise self._refuse(version, "the client has been revoked", request, row.client_id)
        return Grant(client.client_id, granted_in(row.scopes, version), client.orgs, "oauth2")

    def _signed(self, request: Any, version: Version) -> Grant:
        try:
            client = self.oauth1.verify(request.method, str(request.url), request.headers)
        except OAuth1Refused as refused:
            raise self._refuse(version, refused.reason, request, refused.client_id) from None
        return Grant(client.client_id, client.scopes, client.orgs, "oauth1")

    def authorize(self, grant: Grant, operation: Operation, version: Version) -> None:
        """Raise 403 forbidden unless the grant holds one of the operation's scopes."""
        needed = operation.scopes_in(version)
        if not grant.scopes.intersection(needed):
            raise OneRosterError(
                403, "forbidden", f"{operation.operation_id} needs the scope {' or '.join(needed)}; it was not granted"
            )

    def check(self, request: Any, operation: Operation, version: Version) -> Grant:
        """Authenticate and authorize in one step."""
        grant = self.authenticate(request, version)
        self.authorize(grant, operation, version)
        return grant
