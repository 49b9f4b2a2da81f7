"""Refusals of requests without valid credentials."""

from __future__ import annotations

import time

from rosterlab.conformance.model import Level, NotApplicable, check
from rosterlab.conformance.target import Exchange, Target
from rosterlab.consumer.auth import AuthError, OAuth1, OAuth2
from rosterlab.spec.scopes import ROSTER_DEMOGRAPHICS, scope_uri

SECURITY = "Security framework: every request authenticated (OAuth 2.0 bearer / OAuth 1.0a signature)"


@check("auth.no-credentials", "A request without credentials is 401", SECURITY, Level.MUST)
def no_credentials(target: Target) -> None:
    exchange = target.get("getAllUsers", {"limit": "1"}, authenticated=False)
    if exchange.status != 401:
        raise exchange.fail(f"answered HTTP {exchange.status} without credentials")


@check("auth.bad-credentials", "A forged bearer token or OAuth 1.0a signature is 401", SECURITY, Level.MUST)
def bad_credentials(target: Target) -> None:
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
    auth = target.client.auth
    if not isinstance(auth, OAuth1):
        raise NotApplicable("the checker connects with OAuth 2.0")
    url = target.url("getAllUsers") + "?limit=1"
    request = target.client.http.build_request("GET", url)
    auth.sign(request, target.client.http)
    first = target.client.http.send(request)
    if first.status_code != 200:
        raise Exchange(f"GET {url}", first).fail(f"a fresh signed request answered HTTP {first.status_code}")
    again = Exchange(f"GET {url} (the same signed request again)", target.client.http.send(request))
    if again.status != 401:
        raise again.fail(f"the replayed request answered HTTP {again.status}")


@check("auth.missing-scope", "A token without the operation's scope is refused with 403", SECURITY, Level.MUST)
def missing_scope(target: Target) -> None:
    auth = target.client.auth
    if not isinstance(auth, OAuth2):
        raise NotApplicable("the checker connects with OAuth 1.0a")
    narrow = OAuth2(auth.token_url, auth.client_id, auth.client_secret,
                    scope_uri(target.version, ROSTER_DEMOGRAPHICS), auth.client_auth)  # fmt: skip
    try:
        request = target.client.http.build_request("GET", target.url("getAllUsers"), params={"limit": "1"})
        narrow.sign(request, target.client.http)
    except AuthError as error:
        raise NotApplicable(f"no demographics-only token for this client: {error}") from None
    exchange = Exchange(f"GET {request.url} (a token for demographics only)", target.client.http.send(request))
    if exchange.status != 403:
        raise exchange.fail(f"users were read with a demographics-only token: HTTP {exchange.status}")


LONGEST_WAIT = 90  # seconds the checker waits for a token to expire


@check("auth.expired-token", "A bearer token past its expires_in is refused with 401", SECURITY, Level.MUST)
def expired_token(target: Target) -> None:
    auth = target.client.auth
    if not isinstance(auth, OAuth2):
        raise NotApplicable("the checker connects with OAuth 1.0a")
    probe = OAuth2(auth.token_url, auth.client_id, auth.client_secret, auth.scope, auth.client_auth)
    request = target.client.http.build_request("GET", target.url("getAllOrgs"), params={"limit": "1"})
    probe.sign(request, target.client.http)
    if probe.lifetime is None or probe.lifetime > LONGEST_WAIT:
        raise NotApplicable(f"tokens live {probe.lifetime or 'without a stated'} s; too long to wait for one to expire")
    time.sleep(probe.lifetime + 1.5)
    exchange = Exchange(f"GET {request.url} (with a token past its expires_in)", target.client.http.send(request))
    if exchange.status != 401:
        raise exchange.fail(f"a token {probe.lifetime:.0f} s old, past its expires_in, answered HTTP {exchange.status}")
