"""Settings of a running mock SIS."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rosterlab.server.store.database import DEFAULT_URL
from rosterlab.spec.model import Version


class UnknownFieldPolicy(StrEnum):
    """What a request naming an unknown `fields` entry gets (the standard's versions disagree)."""

    WARN = "warn"  # every field, and a warning beside the data (1.1's rule)
    IGNORE = "ignore"  # every field, silently (1.2's prose)
    REJECT = "reject"  # 400 invalid_selection_field (1.2's OpenAPI text, certified providers)


@dataclass(frozen=True)
class ServerConfig:
    """How the mock SIS serves."""

    database_url: str = DEFAULT_URL
    default_limit: int = 100
    max_limit: int = 1000  # larger `limit` values are clamped to this
    unknown_fields_v1p1: UnknownFieldPolicy = UnknownFieldPolicy.WARN
    unknown_fields_v1p2: UnknownFieldPolicy = UnknownFieldPolicy.IGNORE
    public_url: str | None = None  # scheme://host[:port] used in hrefs and Link; by default the request's own

    def unknown_fields(self, version: Version) -> UnknownFieldPolicy:
        """The unknown-field policy of a version."""
        return self.unknown_fields_v1p1 if version is Version.V1P1 else self.unknown_fields_v1p2
