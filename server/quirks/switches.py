"""The quirk switches: each a documented deviation of a real provider from the standard."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

# switch -> (what it does, who does it). The order is the order of `rosterlab profiles`.
DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "no_count_headers": ("neither X-Total-Count nor Link on collections", "Ed-Fi OneRoster 1.2"),
    "flat_code_minor": ("error bodies with a flat string imsx_codeMinor", "Ed-Fi"),
    "token_redirect": ("the token endpoint answers 307 to another host (127.0.0.1 <-> localhost)", "Ed-Fi"),
    "hard_deletes": ("deleted records vanish instead of turning tobedeleted", "Ed-Fi (materialised views)"),
    "page_cap": ("a silent cap on the page size: short pages before the end (0: off)", "PowerSchool, ClassLink"),
    "string_booleans": ('1.1 booleans as the strings "true"/"false"', "ClassLink"),
    "token_query_only": ("token requests must carry their parameters in the query string", "Infinite Campus"),
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
}


@dataclass(frozen=True)
class Quirks:
    """Which deviations the mock SIS shows; all off is the standard as written."""

    no_count_headers: bool = False
    flat_code_minor: bool = False
    token_redirect: bool = False
    hard_deletes: bool = False
    page_cap: int = 0
    string_booleans: bool = False
    token_query_only: bool = False
    max_concurrent: int = 0
    lb_cookie: bool = False
    no_school_endpoints: bool = False
    v1p1_only: bool = False
    v1p2_model_on_v1p1: bool = False
    status_info_on_success: bool = False
    total_before_filter: bool = False
    malformed_link: bool = False

    @property
    def active(self) -> bool:
        return self != Quirks()

    def switched(self, settings: list[str] | tuple[str, ...]) -> Quirks:
        """These quirks with `name` or `name=value` settings applied; ValueError names a bad one."""
        types = {f.name: f.type for f in fields(self)}
        changes: dict[str, bool | int] = {}
        for setting in settings:
            name, _, value = setting.partition("=")
            name = name.strip().replace("-", "_")
            if name not in types:
                raise ValueError(f"unknown quirk {name!r}; `rosterlab profiles` lists them")
            if types[name] in ("int", int):
                if not value.strip().isdigit():
                    raise ValueError(f"quirk {name} takes a number: {name}=N")
                changes[name] = int(value)
            else:
                if value.strip().lower() not in ("", "1", "true", "on", "0", "false", "off"):
                    raise ValueError(f"quirk {name} is on or off, not {value!r}")
                changes[name] = value.strip().lower() not in ("0", "false", "off")
        return replace(self, **changes)

    def settings(self) -> list[str]:
        """The switches that differ from the standard, as `name=value` settings."""
        changed = [f.name for f in fields(self) if getattr(self, f.name) != getattr(STANDARD, f.name)]
        return [f"{name}={int(getattr(self, name))}" for name in changed]


STANDARD = Quirks()
