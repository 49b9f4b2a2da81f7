"""Named profiles: the switches and settings that make the mock behave like a kind of real provider."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rosterlab.server.config import ServerConfig
from rosterlab.server.quirks.switches import STANDARD, Quirks

BOTH = frozenset({"oauth1", "oauth2"})


@dataclass(frozen=True)
class Profile:
    """A kind of provider: what it imitates, its quirks, and the server settings that go with them."""

    name: str
    imitates: str
    quirks: Quirks = STANDARD
    settings: dict[str, Any] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("strict", "the standard as written (the default)"),
        Profile(
            "ed-fi",
            "Ed-Fi OneRoster 1.2: no count headers, limit clamped to 500, flat imsx_codeMinor, a token endpoint "
            "that redirects, hard deletes",
            Quirks(no_count_headers=True, flat_code_minor=True, token_redirect=True, hard_deletes=True),
            {"max_limit": 500},
        ),
        Profile(
            "powerschool",
            "PowerSchool: a district's Maximum Page Size silently shortens pages",
            Quirks(page_cap=75),
        ),
        Profile(
            "classlink",
            "ClassLink: string booleans, a 10,000 ceiling, bearer tokens that never expire",
            Quirks(string_booleans=True),
            {"max_limit": 10_000, "token_lifetime": 0},
        ),
        Profile(
            "infinite-campus",
            "Infinite Campus: token parameters in the query string, at most 5 concurrent requests",
            Quirks(token_query_only=True, max_concurrent=5),
            {"token_query_string": True},
        ),
        Profile(
            "aeries",
            "Aeries: load-balancer cookies required, per-school endpoints missing, OAuth 2.0 only",
            Quirks(lb_cookie=True, no_school_endpoints=True),
            {"auth_methods_v1p1": frozenset({"oauth2"})},
        ),
        Profile("skyward", "Skyward: OneRoster 1.1 only", Quirks(v1p1_only=True)),
        Profile(
            "v1p2-on-v1p1",
            "the 1.2 data model on /ims/oneroster/v1p1 paths",
            Quirks(v1p2_model_on_v1p1=True),
            {"auth_methods_v1p2": BOTH},
        ),
        Profile(
            "status-info", "1.1-style statusInfoSet beside the data on success", Quirks(status_info_on_success=True)
        ),
        Profile("total-before-filter", "X-Total-Count counted before the filter", Quirks(total_before_filter=True)),
        Profile("malformed-links", "Link headers ending in a stray comma, a wrong last", Quirks(malformed_link=True)),
    )
}


def apply_profile(config: ServerConfig, name: str, switches: tuple[str, ...] = ()) -> ServerConfig:
    """`config` behaving like profile `name`, then with individual quirk `switches` on top."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    return replace(config, profile=name, quirks=profile.quirks.switched(switches), **profile.settings)
