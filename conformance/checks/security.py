"""Refusals of requests without valid credentials."""

from __future__ import annotations

from rosterlab.conformance.model import Level, check
from rosterlab.conformance.target import Target

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
