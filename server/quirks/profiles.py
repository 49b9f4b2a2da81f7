"""Named profiles: the switches and settings that make the mock behave like a kind of real provider."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from rosterlab.server.config import ServerConfig, UnknownFieldPolicy
from rosterlab.server.quirks.switches import STANDARD, Quirks

BOTH = frozenset({"oauth1", "oauth2"})


@dataclass(frozen=True)
class Profile:
    """A kind of provider: what it imitates, where that behaviour was read, its quirks, and the server
    settings that go with them."""

    name: str
    imitates: str
    sources: str
    quirks: Quirks = STANDARD
    settings: dict[str, Any] = field(default_factory=dict)


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            "strict",
            "the standard as written (the default)",
            "1EdTech OneRoster 1.1 and 1.2 specifications and 1.2 OpenAPI files",
        ),
        Profile(
            "ed-fi",
            "Ed-Fi OneRoster 1.2: rostering reads only, no count headers, limit clamped to 500, flat imsx_codeMinor "
            "(invalid_data) and none on 401/403/404, an unknown sort ignored and an unknown field refused, 100 "
            "requests a minute, a token endpoint that redirects and takes JSON, hard deletes",
            "Ed-Fi-Alliance-OSS/edfi-oneroster (src/app.js, oneRosterController, paginationLimits, "
            "authorizationHandler, its materialised views); add views_refresh_separately=900 for its 15-minute "
            "view refreshes",
            Quirks(
                no_count_headers=True,
                flat_code_minor=True,
                auth_errors_without_code_minor=True,
                token_redirect=True,
                token_json_body=True,
                hard_deletes=True,
                ignore_unknown_sort=True,
                rate_limit=100,
                rostering_reads_only=True,
            ),
            {"max_limit": 500, "unknown_fields_v1p2": UnknownFieldPolicy.REJECT},
        ),
        Profile(
            "powerschool",
            "PowerSchool: a district's Maximum Page Size silently shortens pages",
            "PowerSchool's OneRoster plugin settings (Maximum Page Size), integrators' field reports",
            Quirks(page_cap=75),
        ),
        Profile(
            "classlink",
            "ClassLink: string booleans, a 10,000 ceiling, bearer tokens that never expire",
            "ClassLink OneRoster API documentation and integrators' field reports",
            Quirks(string_booleans=True),
            {"max_limit": 10_000, "token_lifetime": 0},
        ),
        Profile(
            "infinite-campus",
            "Infinite Campus: token parameters in the query string, at most 5 concurrent requests",
            "Infinite Campus OneRoster set-up and API guides",
            Quirks(token_query_only=True, max_concurrent=5),
        ),
        Profile(
            "aeries",
            "Aeries: load-balancer cookies required, per-school endpoints missing, OAuth 2.0 only",
            "Aeries OneRoster API documentation",
            Quirks(lb_cookie=True, no_school_endpoints=True),
            {"auth_methods_v1p1": frozenset({"oauth2"})},
        ),
        Profile("skyward", "Skyward: OneRoster 1.1 only", "Skyward's OneRoster documentation", Quirks(v1p1_only=True)),
        Profile(
            "v1p2-on-v1p1",
            "the 1.2 data model on /ims/oneroster/v1p1 paths",
            "a ClassLink integrator's report",
            Quirks(v1p2_model_on_v1p1=True),
            {"auth_methods_v1p2": BOTH},
        ),
        Profile(
            "status-info",
            "1.1-style statusInfoSet beside the data on success",
            "RIC One, Questar, go-oneroster",
            Quirks(status_info_on_success=True),
        ),
        Profile(
            "total-before-filter",
            "X-Total-Count counted before the filter",
            "FINT, libre-oneroster",
            Quirks(total_before_filter=True),
        ),
        Profile(
            "malformed-links",
            "Link headers ending in a stray comma, a wrong last",
            "go-oneroster, an early Spring provider",
            Quirks(malformed_link=True),
        ),
    )
}


def apply_profile(config: ServerConfig, name: str, switches: tuple[str, ...] = ()) -> ServerConfig:
    """`config` behaving like profile `name`, then with individual quirk `switches` on top."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: one of {', '.join(PROFILES)}")
    profile = PROFILES[name]
    return replace(config, profile=name, quirks=profile.quirks.switched(switches), **profile.settings)
