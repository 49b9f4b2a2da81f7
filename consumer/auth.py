"""How the consumer authenticates: OAuth 1.0a request signing, or OAuth 2.0 bearer tokens (cached, refreshed).

OAuth 1.0a signatures cover the method, the URL and every query parameter, percent-encoded as RFC 3986 says
(oauthlib does the signing); OAuth 2.0 tokens are fetched with client credentials (HTTP Basic or form body)
or the password grant, kept until shortly before they expire, and fetched again after a 401.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, Client


class Authenticator(Protocol):
    def sign(self, request: httpx.Request, http: httpx.Client) -> None: ...

    def refresh(self, http: httpx.Client) -> bool: ...


class AuthError(Exception):
    """Credentials the provider refused; the message says what was tried, never a secret."""


@dataclass
class OAuth1:
    """Two-legged OAuth 1.0a: every request signed with the consumer key and secret."""

    key: str
    secret: str
    method: str = "HMAC-SHA256"

    def sign(self, request: httpx.Request, http: httpx.Client) -> None:
        method = {"HMAC-SHA1": SIGNATURE_HMAC_SHA1, "HMAC-SHA256": SIGNATURE_HMAC_SHA256}[self.method]
        client = Client(self.key, client_secret=self.secret, signature_method=method)
        _, headers, _ = client.sign(str(request.url), request.method)
        request.headers["Authorization"] = headers["Authorization"]

    def refresh(self, http: httpx.Client) -> bool:
        return False


@dataclass
class OAuth2:
    """OAuth 2.0 bearer tokens from a token endpoint."""

    token_url: str
    client_id: str
    client_secret: str
    scope: str = ""
    client_auth: str = "basic"  # or "body", or "query" (the query string, for providers that ask for it)
    username: str | None = None  # the password grant when set
    password: str | None = None
    lifetime: float | None = field(default=None, init=False)  # expires_in of the last token; None: not said
    _asked: str = field(default="", init=False, repr=False)
    _token: str | None = field(default=None, repr=False)
    _expires: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def requested(self) -> str:
        """The scope token requests carry: the connection's own, else the one asked for by what reads."""
        return self.scope or self._asked

    def ask(self, scope: str) -> None:
        """Ask for `scope` from now on (the least that a sync, a test or a probe reads), unless the connection
        names its own; a token of another scope is fetched again."""
        with self._lock:
            if not self.scope and scope != self._asked:
                self._asked, self._token = scope, None

    def _fetch(self, http: httpx.Client) -> None:
        data = {"grant_type": "password" if self.username else "client_credentials"}
        if self.username:
            data.update(username=self.username, password=self.password or "")
        if self.requested:
            data["scope"] = self.requested
        auth, url = None, httpx.URL(self.token_url)
        credentials = {"client_id": self.client_id, "client_secret": self.client_secret}
        if self.client_auth == "basic":
            auth = (self.client_id, self.client_secret)
        elif self.client_auth == "query":  # some providers take them only there
            url = url.copy_merge_params(credentials)
        else:
            data.update(credentials)
        response = http.post(url, data=data, auth=auth)
        for _ in range(5):  # a token endpoint that redirects: follow it on its own origin only
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                break
            target = response.url.join(location)
            if (target.scheme, target.host, target.port) != (response.url.scheme, response.url.host, response.url.port):
                shown = target.copy_with(query=None)
                raise AuthError(
                    f"the token endpoint redirects to another origin ({shown}); credentials not sent there. If that "
                    f"is the provider's token endpoint, give it as the token URL (--token-url {shown})"
                )
            response = http.post(target, data=data, auth=auth)
        if response.status_code != 200:
            raise AuthError(token_refusal(response, self.token_url, self.requested))
        try:
            body = response.json()
            self._token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise AuthError(f"the token endpoint at {self.token_url} answered 200 without an access_token") from None
        self.lifetime = float(body["expires_in"]) if body.get("expires_in") else None
        lifetime = self.lifetime or 3600.0
        self._expires = time.monotonic() + max(0.0, lifetime - 30)

    def sign(self, request: httpx.Request, http: httpx.Client) -> None:
        with self._lock:  # concurrent pulls share one token
            if self._token is None or time.monotonic() >= self._expires:
                self._fetch(http)
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"

    def refresh(self, http: httpx.Client) -> bool:
        with self._lock:
            self._token = None
        return True


def token_refusal(response: httpx.Response, token_url: str, scope: str) -> str:
    """What a token endpoint's refusal means, with the provider's own error and description (RFC 6749 5.2)."""
    status = response.status_code
    if status in (404, 405):
        return (
            f"no token endpoint at {token_url} (HTTP {status}): the token URL is wrong; give the provider's "
            "token URL (--token-url)"
        )
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    said = ": ".join(part for part in (f"HTTP {status} {error}".strip(), description) if part)
    if error == "invalid_scope":
        return f"the token endpoint refused the scope asked for ({scope or 'none'}): {said}"
    if error in ("invalid_request", "unsupported_grant_type"):
        return f"the token endpoint refused the token request: {said}"
    return f"the token endpoint refused the credentials: {said}"
