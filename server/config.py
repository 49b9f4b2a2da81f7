"""Settings of a running mock SIS."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.switches import Quirks
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
    max_body_bytes: int = 1_048_576  # larger request bodies are refused (413)
    unknown_fields_v1p1: UnknownFieldPolicy = UnknownFieldPolicy.WARN
    unknown_fields_v1p2: UnknownFieldPolicy = UnknownFieldPolicy.IGNORE
    public_url: str | None = None  # scheme://host[:port] used in hrefs and Link; by default the request's own
    authentication: bool = True
    auth_methods_v1p1: frozenset[str] = field(default_factory=lambda: frozenset({"oauth1", "oauth2"}))
    auth_methods_v1p2: frozenset[str] = field(default_factory=lambda: frozenset({"oauth2"}))
    token_path: str = "/oauth/token"
    token_lifetime: int = 3600  # seconds; 0: tokens never expire
    oauth1_window: int = 600  # seconds a signed request's timestamp may differ from the server's clock
    token_json_body: bool = False  # lenient token requests: credentials in a JSON body
    token_query_string: bool = False  # ... in the query string
    token_missing_grant_type: bool = False  # ... with no grant_type (client credentials meant)
    secret_key: str | None = None  # Fernet key sealing OAuth 1.0a secrets; else the key file
    secret_key_file: Path = Path(".rosterlab/secret.key")
    admin_password: str | None = None  # turns the admin API on (HTTP Basic, user "admin")
    profile: str = "strict"  # the named profile these quirks came from (rosterlab.server.quirks.profiles)
    quirks: Quirks = field(default_factory=Quirks)
    faults: Faults | None = None
    record_requests: bool = False  # keep a log of every request for `rosterlab report consumer`
    console: bool = False  # the web console at /console, and behaviour it can switch while serving

    def auth_methods(self, version: Version) -> frozenset[str]:
        """The authentication methods a version's endpoints accept ("oauth1", "oauth2")."""
        return self.auth_methods_v1p1 if version is Version.V1P1 else self.auth_methods_v1p2

    def unknown_fields(self, version: Version) -> UnknownFieldPolicy:
        """The unknown-field policy of a version."""
        return self.unknown_fields_v1p1 if version is Version.V1P1 else self.unknown_fields_v1p2
