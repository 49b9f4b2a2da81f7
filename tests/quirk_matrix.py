"""One cell of the quirk matrix: a mock SIS with a profile (and maybe faults) on loopback, a full sync into a
fresh local store, and the outcome compared with what the provider holds. Shared by the matrix test and
bench/quirks_matrix.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from rosterlab.consumer.auth import AuthError, OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient, SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.rest import RestSource, detect_version
from rosterlab.consumer.store import ROSTER
from rosterlab.consumer.sync import full_sync, local_records
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import delete_record
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import apply_profile
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.server.store.tables import ENTITY_TABLES
from tests.conftest import server_config
from tests.live import LiveServer

EQUAL = "equal"

# profile -> how a user would connect to it (version, auth, OAuth 2.0 client authentication), and the outcome
# without faults and with a fault mix: EQUAL, or a fragment of the error the sync must fail with.
MATRIX = {
    "strict": ("1.2", "oauth2", "basic", EQUAL, EQUAL),
    "ed-fi": ("1.2", "oauth2", "basic", "redirects to another origin", "redirects to another origin"),
    "powerschool": ("1.2", "oauth2", "basic", EQUAL, EQUAL),
    "classlink": ("1.1", "oauth1", "", EQUAL, EQUAL),
    "infinite-campus": ("1.2", "oauth2", "query", EQUAL, EQUAL),
    "aeries": ("1.2", "oauth2", "basic", EQUAL, EQUAL),
    "skyward": ("auto", "oauth2", "basic", EQUAL, EQUAL),
    "v1p2-on-v1p1": ("1.1", "oauth2", "basic", "1.2 data model on its 1.1 paths", "1.2 data model on its 1.1 paths"),
    "status-info": ("1.1", "oauth1", "", EQUAL, EQUAL),
    "total-before-filter": ("1.2", "oauth2", "basic", EQUAL, EQUAL),
    "malformed-links": ("1.2", "oauth2", "basic", EQUAL, EQUAL),
}


@dataclass
class Outcome:
    """What one cell gave."""

    profile: str
    faults: str
    expected: str
    result: str  # EQUAL, "different: ...", or the error the sync failed with
    applied_nothing: bool
    seconds: float

    @property
    def clean(self) -> bool:
        """Equal, or failed with nothing applied and a cause named: never a silent partial roster."""
        return self.result == EQUAL or (self.applied_nothing and not self.result.startswith("different"))

    @property
    def as_expected(self) -> bool:
        if self.expected == EQUAL:
            return self.result == EQUAL
        return self.expected in self.result and self.applied_nothing


def provider_records(sis, entity: str, version: str, hard_deletes: bool) -> dict[str, dict]:
    """What the provider holds, as `version` renders it, read from its own store."""
    table = ENTITY_TABLES[entity]
    column = table.c.v1p1 if version == "1.1" else table.c.v1p2
    with sis.connect() as connection:
        rows = connection.execute(select(column, table.c.status)).all()
    return {doc["sourcedId"]: normalize(doc) for doc, status in rows if not (hard_deletes and status == "tobedeleted")}


def _authenticator(url: str, kind: str, client_auth: str):
    if kind == "oauth1":
        return OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, "HMAC-SHA256")
    return OAuth2(f"{url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret, client_auth=client_auth)


def run_cell(
    folder: Path, profile: str, faults: Faults | None, data: dict[str, Any], page_size: int = 50, backoff: float = 0.05
) -> Outcome:
    """Serve `data` as `profile` (with `faults`), sync it fully, and compare."""
    version, kind, client_auth, calm, faulty = MATRIX[profile]
    sis = connect(f"sqlite:///{folder / 'sis.db'}")
    load(sis, data)
    delete_record(sis, "enrollment", data["enrollment"][0]["sourcedId"])  # a deletion, for the hard-delete profile
    config = apply_profile(server_config(), profile)
    config = replace(config, faults=faults)
    ensure_demo_clients(registry_for(config, sis))
    local = connect(f"sqlite:///{folder / 'local.db'}")
    started = time.perf_counter()
    used = version
    with LiveServer(create_app(config, engine=sis)) as live:
        settings = ClientSettings(page_size=page_size, backoff=backoff)
        with OneRosterClient(live.url, _authenticator(live.url, kind, client_auth), settings) as client:
            try:
                used = detect_version(client) if version == "auto" else version
                full_sync(local, "p", RestSource(client, used), entities=ROSTER)
                result = EQUAL
            except (SyncError, AuthError) as error:
                result = str(error)
    seconds = time.perf_counter() - started
    applied_nothing = all(not local_records(local, "p", entity) for entity in ROSTER)
    if result == EQUAL:
        for entity in ROSTER:
            if local_records(local, "p", entity) != provider_records(sis, entity, used, config.quirks.hard_deletes):
                result = f"different: {entity}"
                break
    sis.dispose()
    local.dispose()
    label = "none" if faults is None else faults.text()
    return Outcome(profile, label, faulty if faults else calm, result, applied_nothing, seconds)
