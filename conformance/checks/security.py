"""Refusals of requests without valid credentials."""

from __future__ import annotations

import time

from rosterlab.conformance.model import CouldNotRun, Level, NotApplicable, check
from rosterlab.conformance.target import Target
from rosterlab.conformance.transport import NoCredentials
from rosterlab.consumer.auth import AuthError, OAuth1, OAuth2
from rosterlab.spec.scopes import ROSTER_DEMOGRAPHICS, scope_uri

SECURITY = "Security framework: every request authenticated (OAuth 2.0 bearer / OAuth 1.0a signature)"


def _authenticated(target: Target) -> None:
    if not target.authenticated:
        raise NotApplicable("checked without credentials (--no-auth)")


@check("auth.no-credentials", "A request without credentials is 401", SECURITY, Level.MUST)
def no_credentials(target: Target) -> None:
    _authenticated(target)
    exchange = target.get("getAllUsers", {"limit": "1"}, authenticated=False)
    if exchange.status != 401:
        raise exchange.fail(f"answered HTTP {exchange.status} without credentials")


@check("auth.bad-credentials", "A forged bearer token or OAuth 1.0a signature is 401", SECURITY, Level.MUST)
def bad_credentials(target: Target) -> None:
    _authenticated(target)
    url = target.url("getAllUsers")
    forged = {"Authorization": "Bearer forged-token-0000"}
    if target.version == "1.1":
        forged = {
            "Authorization": 'OAuth oauth_consumer_key="forged", oauth_signature_method="HMAC-SHA256", '
            'oauth_timestamp="1700000000", oauth_nonce="forged", oauth_signature="Zm9yZ2Vk"'
        }
    exchange = target.raw("GET", url, params={"limit": "1"}, headers=forged)
    if exchange.status != 401:
        raise exchange.fail(f"answered HTTP {exchange.status} to forged credentials")


@check("auth.replayed-nonce", "An OAuth 1.0a request sent twice is refused the second time", SECURITY, Level.MUST)
def replayed_nonce(target: Target) -> None:
    _authenticated(target)
    auth = target.client.auth
    if not isinstance(auth, OAuth1):
        raise NotApplicable("the checker connects with OAuth 2.0")
    url = target.url("getAllUsers") + "?limit=1"
    request = target.client.http.build_request("GET", url)
    auth.sign(request, target.client.http)
    first = target.transmit(request, f"GET {url}")
    if first.status != 200:
        raise first.fail(f"a fresh signed request answered HTTP {first.status}")
    again = target.transmit(request, f"GET {url} (the same signed request again)")
    if again.status != 401:
        raise again.fail(f"the replayed request answered HTTP {again.status}")


@check("auth.missing-scope", "A token without the operation's scope is refused with 403", SECURITY, Level.MUST)
def missing_scope(target: Target) -> None:
    _authenticated(target)
    auth = target.client.auth
    if not isinstance(auth, OAuth2):
        raise NotApplicable("the checker connects with OAuth 1.0a")
    narrow = OAuth2(auth.token_url, auth.client_id, auth.client_secret,
                    scope_uri(target.version, ROSTER_DEMOGRAPHICS), auth.client_auth)  # fmt: skip
    try:
        exchange = target.send("GET", target.url("getAllUsers"), params={"limit": "1"}, auth=narrow,
                               label=" (a token for demographics only)")  # fmt: skip
    except NoCredentials as error:
        raise NotApplicable(f"no demographics-only token for this client: {error}") from None
    if exchange.status != 403:
        raise exchange.fail(f"users were read with a demographics-only token: HTTP {exchange.status}")


LONGEST_WAIT = 90  # seconds the checker waits for a token to expire


@check("auth.expired-token", "A bearer token past its expires_in is refused with 401", SECURITY, Level.MUST)
def expired_token(target: Target) -> None:
    _authenticated(target)
    auth = target.client.auth
    if not isinstance(auth, OAuth2):
        raise NotApplicable("the checker connects with OAuth 1.0a")
    probe = OAuth2(auth.token_url, auth.client_id, auth.client_secret, auth.scope, auth.client_auth)
    request = target.client.http.build_request("GET", target.url("getAllOrgs"), params={"limit": "1"})
    try:
        probe.sign(request, target.client.http)
    except AuthError as error:
        raise CouldNotRun(f"no token to let expire: {error}") from None
    if probe.lifetime is None or probe.lifetime > LONGEST_WAIT:
        raise NotApplicable(f"tokens live {probe.lifetime or 'without a stated'} s; too long to wait for one to expire")
    if not target.budget.allows_wait(probe.lifetime + 1.5):
        raise CouldNotRun(f"not run: waiting {probe.lifetime:.0f} s for a token to expire would overrun the budget")
    time.sleep(probe.lifetime + 1.5)
    exchange = target.transmit(request, f"GET {request.url} (with a token past its expires_in)")
    if exchange.status != 401:
        raise exchange.fail(f"a token {probe.lifetime:.0f} s old, past its expires_in, answered HTTP {exchange.status}")
