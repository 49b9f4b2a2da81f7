"""The quirk switches: each a documented deviation of a real provider from the standard."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

# switch -> (what it does, where it is seen). The order is the order of `rosterlab profiles`.
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "seed": ("chooses the records that data faults touch (the same seed, the same records)", "-"),
    "no_count_headers": ("neither X-Total-Count nor Link on collections", "Ed-Fi OneRoster 1.2"),
    "flat_code_minor": (
        "error bodies with a flat string imsx_codeMinor, spelled as Ed-Fi spells it (invalid_data, ...)",
        "Ed-Fi",
    ),
    "auth_errors_without_code_minor": ("401, 403 and 404 bodies carry no codeMinor at all", "Ed-Fi"),
    "token_redirect": ("the token endpoint answers 307 to another host (127.0.0.1 <-> localhost)", "Ed-Fi"),
    "hard_deletes": ("deleted records vanish instead of turning tobedeleted", "Ed-Fi (materialised views)"),
    "views_refresh_separately": (
        "each collection is a view refreshed every N seconds at its own moment, so collections disagree for a "
        "while after a change (0: off)",
        "Ed-Fi (one materialised view per collection)",
    ),
    "ignore_unknown_sort": ("an unknown sort field is ignored: 200 in the default order", "Ed-Fi"),
    "rate_limit": (
        "at most N requests a minute from one client address, counted per server process as express-rate-limit's "
        "memory store counts; 429 with Retry-After and a plain-text body beyond, before the token is checked (0: off)",
        "Ed-Fi (100 a minute)",
    ),
    "rostering_reads_only": (
        "only the GET operations of 1.2 rostering: 1.1, gradebook, resources and writes answer 404",
        "Ed-Fi (its OneRoster API serves rostering v1p2 reads)",
    ),
    "page_cap": ("a silent cap on the page size: short pages before the end (0: off)", "PowerSchool, ClassLink"),
    "ignore_offset": (
        "offset is ignored: every page is the first page (count headers stay unless no_count_headers)",
        "providers whose paging silently fails (a proxy dropping the query, a hand-built endpoint)",
    ),
    "lenient_paging_params": (
        "malformed limit/offset/sort/orderBy/fields ignored and a malformed filter answered with an empty list, "
        "all 200",
        "hand-built and early providers (libre-oneroster, go-oneroster)",
    ),
    "duplicate_records": (
        "some sourcedIds served twice, within a page and across pages: identical copies, differing copies, or "
        "both (the bare switch)",
        "providers paging a SQL join (one row per school or term of a record)",
    ),
    "orphan_enrollments": (
        "some enrollments name a user or class that the collections do not return",
        "SIS views filtering users and enrollments differently (inactive or excluded students)",
    ),
    "dangling_refs": (
        "some GUIDRefs name objects that do not exist (class->course and terms, org->parent, course->org, "
        "academicSession->parent, lineItem->category)",
        "SIS exports built per table, field reports of integrators",
    ),
    "wrong_envelope_keys": (
        "collection and object keys named after the path (schools, terms, students, school, ...)",
        "a foreign 1.1 provider, hand-built endpoints",
    ),
    "relative_hrefs": (
        "hrefs as paths from the host's root (/ims/oneroster/...), without scheme and host",
        "providers behind a proxy that do not know their public host; Aeries' unusable ~/ hrefs",
    ),
    "null_optional_fields": (
        "JSON null where an optional field should be absent (not under a fields= selection)",
        "providers serialising every column (nulls kept by their JSON encoder; Ed-Fi strips them)",
    ),
    "string_periods": ('class periods as one string ("1, 2") instead of a list', "ClassLink, 1.0-era providers"),
    "empty_parent": (
        "parent: {} on orgs and sessions that have no parent",
        "providers serialising an empty GUIDRef object for a missing reference",
    ),
    "error_body_plain": (
        'errors as {"error": "..."} instead of the standard envelope',
        "web-framework defaults (Express, Flask), early Ed-Fi versions for 500s",
    ),
    "string_booleans": ('1.1 booleans as the strings "true"/"false"', "ClassLink"),
    "token_query_only": ("token requests must carry their parameters in the query string", "Infinite Campus"),
    "token_json_body": ("token requests may carry their parameters in a JSON body", "Ed-Fi, Node.js providers"),
    "token_without_grant_type": (
        "a token request without grant_type means client credentials",
        "providers tolerating clients that omit it (several LMS connectors send none)",
    ),
    "max_concurrent": ("at most N requests at once, 429 beyond (0: off)", "Infinite Campus"),
    "lb_cookie": ("the token response's load-balancer cookie must come back with every request", "Aeries"),
    "no_school_endpoints": ("/schools/{id}/... endpoints unsupported (404)", "Aeries"),
    "v1p1_only": ("no 1.2 endpoints (404)", "Skyward"),
    "v1p2_model_on_v1p1": ("the 1.2 data model served under /ims/oneroster/v1p1", "a ClassLink integrator's report"),
    "status_info_on_success": ("a statusInfoSet beside the data on success", "RIC One, Questar, go-oneroster"),
    "total_before_filter": ("X-Total-Count counted before the filter is applied", "FINT, libre-oneroster"),
    "malformed_link": (
        'Link headers ending in a stray comma, with a wrong rel="last"',
        "go-oneroster, an early provider",
    ),
    "datetime_dates": (
        "gradebook writes may send a date-time where the model says date (scoreDate, ...); the date is kept",
        "SIS taking Google Classroom's grade sync (its test suite sends scoreDate as a date-time)",
    ),
}

# Switches that take one of a few words; the first word is what the bare switch means.
CHOICES: dict[str, tuple[str, ...]] = {"duplicate_records": ("both", "identical", "differing")}

_ON = ("", "1", "true", "on")
_OFF = ("0", "false", "off")


@dataclass(frozen=True)
class Quirks:
    """Which deviations the mock SIS shows; all off is the standard as written."""

    seed: int = 0
    no_count_headers: bool = False
    flat_code_minor: bool = False
    auth_errors_without_code_minor: bool = False
    token_redirect: bool = False
    hard_deletes: bool = False
    views_refresh_separately: int = 0
    ignore_unknown_sort: bool = False
    rate_limit: int = 0
    rostering_reads_only: bool = False
    page_cap: int = 0
    ignore_offset: bool = False
    lenient_paging_params: bool = False
    duplicate_records: str = ""
    orphan_enrollments: bool = False
    dangling_refs: bool = False
    wrong_envelope_keys: bool = False
    relative_hrefs: bool = False
    null_optional_fields: bool = False
    string_periods: bool = False
    empty_parent: bool = False
    error_body_plain: bool = False
    string_booleans: bool = False
    token_query_only: bool = False
    token_json_body: bool = False
    token_without_grant_type: bool = False
    max_concurrent: int = 0
    lb_cookie: bool = False
    no_school_endpoints: bool = False
    v1p1_only: bool = False
    v1p2_model_on_v1p1: bool = False
    status_info_on_success: bool = False
    total_before_filter: bool = False
    malformed_link: bool = False
    datetime_dates: bool = False

    @property
    def active(self) -> bool:
        return replace(self, seed=0) != Quirks()

    @property
    def reshapes_collections(self) -> bool:
        """Whether collections are served from a reshaped list of records (duplicates, hidden records)."""
        return bool(self.duplicate_records) or self.orphan_enrollments

    def switched(self, settings: list[str] | tuple[str, ...]) -> Quirks:
        """These quirks with `name` or `name=value` settings applied; ValueError names a bad one."""
        types = {f.name: f.type for f in fields(self)}
        changes: dict[str, bool | int | str] = {}
        for setting in settings:
            name, _, value = setting.partition("=")
            name, value = name.strip().replace("-", "_"), value.strip()
            if name not in types:
                raise ValueError(f"unknown quirk {name!r}; `rosterlab profiles` lists them")
            if name in CHOICES:
                changes[name] = _choice(name, value)
            elif types[name] in ("int", int):
                if not value.isdigit():
                    raise ValueError(f"quirk {name} takes a number: {name}=N")
                changes[name] = int(value)
            else:
                if value.lower() not in _ON + _OFF:
                    raise ValueError(f"quirk {name} is on or off, not {value!r}")
                changes[name] = value.lower() not in _OFF
        return replace(self, **changes)

    def settings(self) -> list[str]:
        """The switches that differ from the standard, as `name=value` settings (what `switched` reads)."""
        changed = [f.name for f in fields(self) if getattr(self, f.name) != getattr(STANDARD, f.name)]
        return [f"{name}={_text(getattr(self, name))}" for name in changed]


def _choice(name: str, value: str) -> str:
    words = CHOICES[name]
    if value.lower() in _OFF:
        return ""
    if value.lower() in _ON:
        return words[0]
    if value not in words:
        raise ValueError(f"quirk {name} is one of {', '.join(words)} (or off), not {value!r}")
    return value


def _text(value: bool | int | str) -> str:
    return value if isinstance(value, str) else str(int(value))


STANDARD = Quirks()
