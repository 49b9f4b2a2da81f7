"""OAuth 1.0a two-legged request signing (RFC 5849), as OneRoster 1.1 uses it.

oauthlib verifies the signature over the method, the URL and every query parameter; rosterlab checks the
rest first so that every refusal says why: a missing parameter, a refused signature method (only HMAC-SHA1
and HMAC-SHA256), a timestamp outside the window, an unknown or revoked consumer key, a nonce used before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from rosterlab.server.auth.registry import Client, Registry

SIGNATURE_METHODS = ("HMAC-SHA1", "HMAC-SHA256")
REQUIRED = ("oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce")


class OAuth1Refused(Exception):
    """A signed request that is refused, with a reason safe to show (it never holds a secret)."""

    def __init__(self, reason: str, client_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.client_id = client_id


class _Validator(RequestValidator):
    """The rules oauthlib asks about; formats are left open (real clients send UUID nonces and long keys)."""

    def __init__(self, registry: Registry, window: int) -> None:
        super().__init__()
        self.registry = registry
        self.window = window

    allowed_signature_methods = SIGNATURE_METHODS
    enforce_ssl = False  # the mock serves HTTP; TLS belongs to a reverse proxy in front of it
    dummy_client = "rosterlab-no-such-client"

    @property
    def timestamp_lifetime(self) -> int:
        return self.window

    def check_client_key(self, client_key: str) -> bool:
        return 0 < len(client_key) <= 255

    def check_nonce(self, nonce: str) -> bool:
        return 0 < len(nonce) <= 255

    def validate_client_key(self, client_key, request) -> bool:
        client = self.registry.get(client_key)
        return client is not None and not client.revoked

    def get_client_secret(self, client_key, request) -> str:
        return self.registry.signing_secret(client_key) or "no-secret"

    def validate_timestamp_and_nonce(
        self, client_key, timestamp, nonce, request, request_token=None, access_token=None
    ):
        return True  # checked by OAuth1Verifier before, recorded after a valid signature

    # Two-legged signing has no tokens and no RSA keys: OAuth1Verifier refuses requests that name them, and
    # these answers keep oauthlib from reaching the base class's NotImplementedError should one get through.
    def get_access_token_secret(self, client_key, token, request) -> str:
        return "no-secret"

    def get_request_token_secret(self, client_key, token, request) -> str:
        return "no-secret"

    def get_rsa_key(self, client_key, request) -> str:
        return ""

    def validate_access_token(self, client_key, token, request) -> bool:
        return False

    def validate_request_token(self, client_key, token, request) -> bool:
        return False


def oauth_parameters(headers: Mapping[str, str], query: str) -> dict[str, str]:
    """The oauth_* parameters of a request, from its Authorization header or its query string."""
    header = headers.get("authorization", "")
    if header[:6].lower() == "oauth ":
        return dict(parse_authorization_header(header))
    return {name: value for name, value in parse_qsl(query, keep_blank_values=True) if name.startswith("oauth_")}


class OAuth1Verifier:
    """Verifies OAuth 1.0a signed requests against the client registry."""

    def __init__(self, registry: Registry, window: int = 600, clock: Callable[[], float] = time.time) -> None:
        self.registry = registry
        self.window = window
        self.clock = clock
        self.endpoint = SignatureOnlyEndpoint(_Validator(registry, window))

    def verify(self, method: str, url: str, headers: Mapping[str, str], body: str | None = None) -> Client:
        """The client that signed the request; raises OAuth1Refused with the reason otherwise."""
        try:
            params = oauth_parameters(headers, urlsplit(url).query)
        except ValueError:
            raise OAuth1Refused("the OAuth Authorization header is malformed") from None
        missing = [name for name in REQUIRED if not params.get(name)]
        client_id = params.get("oauth_consumer_key")
        if missing:
            raise OAuth1Refused(f"OAuth 1.0a parameters missing: {', '.join(missing)}", client_id)
        if params["oauth_signature_method"] not in SIGNATURE_METHODS:
            raise OAuth1Refused(
                f"signature method {params['oauth_signature_method']} is not accepted; use HMAC-SHA1 or HMAC-SHA256",
                client_id,
            )
        if "oauth_token" in params:
            raise OAuth1Refused("oauth_token is not accepted: OneRoster signs two-legged, without a token", client_id)
        if params.get("oauth_version", "1.0") != "1.0":
            raise OAuth1Refused("oauth_version must be 1.0 when given", client_id)
        try:
            timestamp = int(params["oauth_timestamp"])
        except ValueError:
            raise OAuth1Refused("oauth_timestamp is not a whole number of seconds", client_id) from None
        now = self.clock()
        if abs(now - timestamp) > self.window:
            raise OAuth1Refused(f"oauth_timestamp is more than {self.window} s from the server's clock", client_id)
        client = self.registry.get(client_id)
        if client is None:
            raise OAuth1Refused("unknown consumer key", client_id)
        if client.revoked:
            raise OAuth1Refused("the consumer key has been revoked", client_id)
        if self.registry.nonce_used(client_id, params["oauth_nonce"]):
            raise OAuth1Refused("oauth_nonce was used before (a replayed request)", client_id)
        valid, _ = self.endpoint.validate_request(url, method, body, dict(headers))
        if not valid:
            raise OAuth1Refused("the OAuth 1.0a signature does not match the request", client_id)
        if not self.registry.use_nonce(
            client_id, params["oauth_nonce"], timestamp, forget_before=now - 2 * self.window
        ):
            raise OAuth1Refused("oauth_nonce was used before (a replayed request)", client_id)
        return client
