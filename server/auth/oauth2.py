"""OAuth 2.0 (RFC 6749) for OneRoster: a token endpoint and bearer tokens, built on authlib.

Grants: client credentials (the IMS Security Framework's) and the resource owner password grant that some
SIS offer. Clients authenticate with HTTP Basic or with `client_id`/`client_secret` in the form body.
Lenient switches accept what real clients also send: credentials in a JSON body or in the query string, and
no `grant_type` at all (client credentials are meant).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant, ResourceOwnerPasswordCredentialsGrant
from authlib.oauth2.rfc6749.util import scope_to_list

from rosterlab.server.auth import token_scopes
from rosterlab.server.auth.registry import Client, Registry
from rosterlab.spec import scopes as sc
from rosterlab.spec.model import Version

# The mock SIS speaks plain HTTP (put TLS in a reverse proxy); authlib refuses http:// URLs without this.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
# authlib logs every token it issues at DEBUG; no token may ever reach a log, whatever the root level.
logging.getLogger("authlib.oauth2.rfc6749.grants").setLevel(logging.INFO)

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
GRANT_TYPES = ("client_credentials", "password")
# RFC 6749 5.2: an error_description holds only these characters (authlib raises on any other).
_DESCRIBABLE = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


@dataclass(frozen=True)
class TokenLeniency:
    """Deviations from RFC 6749 that the token endpoint tolerates (all off in strict mode)."""

    json_body: bool = False
    query_string: bool = False
    missing_grant_type: bool = False


def describable(text: str, limit: int = 120) -> str:
    """`text` (from a request) fit for an error_description: other characters as `?`, at most `limit` long."""
    shown = "".join(c if c in _DESCRIBABLE else "?" for c in text[:limit])
    return shown + "..." if len(text) > limit else shown


def scope_uris(names: frozenset[str] | set[str]) -> str:
    """The scope URIs of short names in each version that has them, space-separated (as a token response
    lists them)."""
    return " ".join(
        sc.scope_uri(version, name)
        for version in Version
        for name in sorted(names)
        if name in sc.SCOPES_BY_VERSION[version]
    )


class _Client(ClientMixin):
    def __init__(self, client: Client, registry: Registry) -> None:
        self.client = client
        self.registry = registry

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return scope_uris(self.client.scopes)
        asked = [token_scopes.parse(text) for text in scope_to_list(scope) or []]
        return " ".join(token_scopes.echoed(*parsed) for parsed in asked if parsed is not None)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return self.registry.check_secret(self.client.client_id, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials" or (grant_type == "password" and bool(self.client.username))


def _check_requested_scopes(request: OAuth2Request) -> None:
    requested = scope_to_list(request.payload.scope) or []
    unknown = sorted(text for text in requested if token_scopes.parse(text) is None)
    if unknown:
        raise InvalidScopeError(description=f"unknown scope(s): {describable(', '.join(unknown))}")
    names = {parsed[1] for text in requested if (parsed := token_scopes.parse(text)) is not None}
    refused = sorted(names - request.client.client.scopes)
    if refused:
        raise InvalidScopeError(description=f"this client is not granted: {', '.join(refused)}")


class _ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        _check_requested_scopes(self.request)


class _Password(ResourceOwnerPasswordCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self) -> None:
        super().validate_token_request()
        _check_requested_scopes(self.request)

    def authenticate_token_endpoint_client(self) -> _Client:
        self._client = super().authenticate_token_endpoint_client()
        return self._client

    def authenticate_user(self, username: str, password: str) -> str:
        # RFC 6749 5.2: wrong resource owner credentials are an invalid grant.
        if not self.server.registry.check_password(self._client.client.client_id, username, password):
            raise InvalidGrantError(description="invalid username or password")
        return username


class _Payload(OAuth2Payload):
    def __init__(self, data: dict[str, str]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list]:
        return defaultdict(list, {key: [value] for key, value in self._data.items()})


class _Request(OAuth2Request):
    def __init__(self, method: str, uri: str, headers: Mapping[str, str], data: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)  # case-insensitive: authlib asks for "Authorization"
        self.payload = _Payload(data)
        self._form = data

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class TokenServer(AuthorizationServer):
    """Issues bearer tokens into the registry."""

    def __init__(self, registry: Registry, lifetime: int = 3600, clock: Callable[[], float] = time.time) -> None:
        super().__init__(scopes_supported=None)
        self.registry = registry
        self.lifetime = lifetime
        self.clock = clock
        self.register_grant(_ClientCredentials)
        self.register_grant(_Password)
        self.register_token_generator("default", self._generate)

    def _generate(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        token: dict[str, Any] = {"access_token": secrets.token_urlsafe(32), "token_type": "bearer"}
        if self.lifetime > 0:
            token["expires_in"] = self.lifetime
        # No scope asked for: the token carries every scope the client is granted.
        token["scope"] = client.get_allowed_scope(scope)
        return token

    def query_client(self, client_id: str) -> _Client | None:
        client = self.registry.get(client_id) if client_id else None
        return _Client(client, self.registry) if client and not client.revoked else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        granted = [token_scopes.parse(text) for text in scope_to_list(token.get("scope", "")) or []]
        entries = {token_scopes.stored(*parsed) for parsed in granted if parsed is not None}
        expires_at = self.clock() + self.lifetime if self.lifetime > 0 else None
        self.registry.save_token(
            token["access_token"], request.client.get_client_id(), " ".join(sorted(entries)), expires_at
        )

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def get_token_grant(self, request: OAuth2Request):
        try:
            return super().get_token_grant(request)
        except UnsupportedGrantTypeError as error:
            error.description = (
                f"grant_type {describable(request.payload.grant_type or '')} is not supported"
                f" (supported: {', '.join(GRANT_TYPES)})"
            )
            raise

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]):
        return status, body, headers

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error):
        if isinstance(error, InvalidClientError):
            if error.description and error.description.startswith("The client cannot authenticate"):
                error.description = "unknown client, or a wrong client secret"
            # 401 with WWW-Authenticate however the client authenticated: RFC 6749 5.2 requires it for Basic
            # and allows it for credentials in the body, so a failed authentication is always answered alike.
            error.status_code = 401
        return super().handle_error_response(request, error)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def respond(
        self, method: str, uri: str, headers: Mapping[str, str], data: dict[str, str]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """Answer a token request whose parameters have been gathered into `data`."""
        request = _Request(method, uri, headers, data)
        if not _basic_credentials_readable(headers):
            malformed = "malformed Basic credentials: expected base64 of UTF-8 client_id:client_secret"
            return self.handle_error_response(request, InvalidClientError(description=malformed))
        if _two_authentications(headers, data):
            # RFC 6749 2.3: a client must not use more than one authentication method in a request (a
            # client_id parameter naming the Basic client only identifies it, as many clients send).
            both = "client credentials given twice (HTTP Basic and client_secret or another client_id): use one"
            return self.handle_error_response(request, InvalidRequestError(description=both))
        if not data.get("grant_type"):
            return self.handle_error_response(request, InvalidRequestError(description="grant_type is missing"))
        return self.create_token_response(request)


def _two_authentications(headers: Mapping[str, str], data: Mapping[str, str]) -> bool:
    kind, _, credentials = headers.get("Authorization", "").strip().partition(" ")
    if kind.lower() != "basic":
        return False
    if "client_secret" in data:
        return True
    basic_id = unquote(base64.b64decode(credentials.strip()).decode("utf-8").partition(":")[0])
    return "client_id" in data and data["client_id"] != basic_id


def _basic_credentials_readable(headers: Mapping[str, str]) -> bool:
    """Whether an `Authorization: Basic` header, if any, decodes (authlib fails on one that is not UTF-8)."""
    kind, _, credentials = headers.get("Authorization", "").strip().partition(" ")
    if kind.lower() != "basic":
        return True
    try:
        base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return True
