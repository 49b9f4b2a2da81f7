"""One cell of the quirk matrix: a mock SIS with a profile or quirk switches (and maybe faults) on loopback, a
full sync into a fresh local store, and the outcome compared with what the provider holds. Shared by the
matrix test, the sync engine's end-to-end tests and bench/quirks_matrix.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from rosterlab.consumer.auth import AuthError, OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient, SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.rest import RestSource, detect_version
from rosterlab.consumer.store import ROSTER, SYNCED, TABLES
from rosterlab.consumer.sync import SyncResult, full_sync
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import delete_record
from rosterlab.server.config import ServerConfig
from rosterlab.server.quirks.data_faults import orphaned
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import apply_profile
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.server.store.tables import ENTITY_TABLES
from tests.conftest import server_config
from tests.live import LiveServer

EQUAL = "equal"
REJECTING = "equal, rejecting what it names"  # the rest equal; each record left out is listed with its cause

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


@dataclass(frozen=True)
class QuirkCell:
    """A strict mock with some quirk switches (and faults), how a user would connect to it, and the outcome
    expected: EQUAL, REJECTING (with what every rejection says), or a fragment of the error."""

    switches: tuple[str, ...]
    expected: str
    version: str = "1.2"
    auth: str = "oauth2"
    client_auth: str = "basic"
    faults: str | None = None
    says: tuple[str, ...] = ()
    entities: tuple[str, ...] = ROSTER


IGNORES_OFFSET = "the provider ignores offset"
DOES_NOT_SERVE = ("which the provider does not serve", "which was rejected")
DIFFERENT_COPIES = ("served twice with different content", "which was rejected")

# The quirks the sync engine has to survive, each with its expected outcome (issue 18's kinds of fault).
QUIRK_CELLS = {
    "ignore-offset": QuirkCell(("ignore_offset",), IGNORES_OFFSET),
    "ignore-offset-no-counts": QuirkCell(("ignore_offset", "no_count_headers"), IGNORES_OFFSET),
    "ignore-offset-1.1": QuirkCell(
        ("ignore_offset", "no_count_headers"), "the provider ignores offset", "1.1", "oauth1"
    ),
    "duplicates-identical": QuirkCell(("duplicate_records=identical", "seed=3"), EQUAL),
    "duplicates-differing": QuirkCell(("duplicate_records=differing", "seed=3"), REJECTING, says=DIFFERENT_COPIES),
    "duplicates-both-1.1": QuirkCell(
        ("duplicate_records=both", "seed=5"), REJECTING, "1.1", "oauth1", says=DIFFERENT_COPIES
    ),
    "no-count-headers": QuirkCell(("no_count_headers",), EQUAL),
    "view-refreshed-mid-pull": QuirkCell(("seed=7",), EQUAL, faults="seed=7,change_mid_pull=2"),
    "view-refreshed-mid-pull-1.1": QuirkCell(("seed=3",), EQUAL, "1.1", "oauth1", faults="seed=3,change_mid_pull=2"),
    "views-refresh-separately": QuirkCell(("views_refresh_separately=900", "seed=2"), EQUAL),
    "hard-deletes": QuirkCell(("hard_deletes", "no_count_headers"), EQUAL),
    "orphan-enrollments": QuirkCell(("orphan_enrollments", "seed=4"), REJECTING, says=DOES_NOT_SERVE),
    "dangling-refs": QuirkCell(("dangling_refs", "seed=9"), REJECTING, says=DOES_NOT_SERVE, entities=SYNCED),
    "token-redirect": QuirkCell(("token_redirect",), "redirects to another origin"),
    "token-query-only": QuirkCell(("token_query_only",), "takes client_id and client_secret in the query string"),
    "token-query-only-asked-there": QuirkCell(("token_query_only",), EQUAL, client_auth="query"),
    "gradebook-1.2": QuirkCell(("seed=1",), EQUAL, entities=SYNCED),
    "gradebook-1.1": QuirkCell(("seed=1",), EQUAL, "1.1", "oauth1", entities=SYNCED),
}


@dataclass
class Outcome:
    """What one cell gave."""

    profile: str
    faults: str
    expected: str
    result: str  # EQUAL, REJECTING, "different: ...", or the error the sync failed with
    applied_nothing: bool
    seconds: float

    @property
    def clean(self) -> bool:
        """Equal, or failed with nothing applied and a cause named: never a silent partial roster."""
        return self.result in (EQUAL, REJECTING) or (self.applied_nothing and not self.result.startswith("different"))

    @property
    def as_expected(self) -> bool:
        if self.expected in (EQUAL, REJECTING):
            return self.result == self.expected
        return self.expected in self.result and self.applied_nothing


def provider_records(sis, entity: str, version: str, hard_deletes: bool) -> dict[str, dict]:
    """What the provider holds, as `version` renders it, read from its own store (a provider that deletes hard
    holds no tobedeleted record)."""
    table = ENTITY_TABLES[entity]
    column = table.c.v1p1 if version == "1.1" else table.c.v1p2
    with sis.connect() as connection:
        rows = connection.execute(select(column, table.c.status)).all()
    return {doc["sourcedId"]: normalize(doc) for doc, status in rows if not (hard_deletes and status == "tobedeleted")}


def stored_rows(local: Engine, name: str, entity: str) -> dict[str, tuple[str, dict]]:
    """The local store's rows of an entity: sourcedId -> (status column, record)."""
    table = TABLES[entity]
    with local.connect() as connection:
        rows = connection.execute(
            select(table.c.sourced_id, table.c.status, table.c.data).where(table.c.connection == name)
        )
        return {row.sourced_id: (row.status, row.data) for row in rows}


def difference(
    local: Engine,
    name: str,
    sis: Engine,
    version: str,
    entities: Iterable[str] = ROSTER,
    hard_deletes: bool = False,
    left_out: Mapping[str, set[str]] | None = None,
) -> str | None:
    """Where the local store differs from the provider's true data (None: nowhere). Active records must equal
    the provider's active ones field by field, but for those `left_out` (rejected, or never served); every
    tombstone must be a record the provider deleted (or no longer has), with `tobedeleted` inside it too."""
    left_out = left_out or {}
    for entity in entities:
        theirs = provider_records(sis, entity, version, hard_deletes)
        live = {sid: r for sid, r in theirs.items() if r.get("status") != "tobedeleted"}
        skip = left_out.get(entity, set())
        rows = stored_rows(local, name, entity)
        mine = {sid: data for sid, (status, data) in rows.items() if status == "active" and sid not in skip}
        expected = {sid: r for sid, r in live.items() if sid not in skip}
        if mine != expected:
            missing, extra = sorted(expected.keys() - mine.keys()), sorted(mine.keys() - expected.keys())
            changed = sorted(sid for sid in mine.keys() & expected.keys() if mine[sid] != expected[sid])
            return f"different: {entity}: missing {missing[:5]}, extra {extra[:5]}, changed {changed[:5]}"
        for sid, (status, data) in rows.items():
            if status == "active":
                continue
            if data.get("status") != status:
                return f"different: {entity} {sid} is {status} but its record says {data.get('status')}"
            if sid in expected:
                return f"different: {entity} {sid} deleted locally, active at the provider"
    return None


# What a kept record names (restated from the README, not imported from consumer/); the users, classes and
# line items it names must be held active.
REFERENCES = {
    "org": (("parent", "org"),),
    "academicSession": (("parent", "academicSession"),),
    "course": (("org", "org"),),
    "class": (("course", "course"), ("school", "org"), ("terms", "academicSession")),
    "enrollment": (("user", "user"), ("class", "class"), ("school", "org")),
    "demographics": (("sourcedId", "user"),),
    "lineItem": (("class", "class"), ("category", "category")),
    "result": (("lineItem", "lineItem"), ("student", "user")),
}


def active_ids(local: Engine, name: str, entity: str) -> set[str]:
    return {sid for sid, (status, _) in stored_rows(local, name, entity).items() if status == "active"}


def unheld_references(local: Engine, name: str, entities: Iterable[str]) -> str | None:
    """A kept record that names a user, class or line item the store does not hold active (None: none)."""
    entities = tuple(entities)
    held = {entity: active_ids(local, name, entity) for entity in entities}
    for entity, references in REFERENCES.items():
        if entity not in entities:
            continue
        for sid, (status, record) in stored_rows(local, name, entity).items():
            for field_name, target in references:
                if target not in ("user", "class", "lineItem"):
                    continue
                value = record.get(field_name)
                refs = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
                named = [sid] if field_name == "sourcedId" else [r.get("sourcedId") for r in refs]
                missing = [n for n in named if target in held and n not in held[target]]
                if status == "active" and missing:
                    return f"different: {entity} {sid} names {target} {missing[0]}, which the store does not hold"
    return None


def withheld(sis: Engine, config: ServerConfig) -> dict[str, set[str]]:
    """The records the provider holds but its collections never serve (`orphan_enrollments`)."""
    with sis.connect() as connection:
        return {entity: set(orphaned(connection, entity, config.quirks)) for entity in ("user", "class")}


def authenticator(url: str, kind: str, client_auth: str = "basic"):
    """The demo credentials as a user would give them: OAuth 1.0a, or OAuth 2.0 with a client authentication."""
    if kind == "oauth1":
        return OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, "HMAC-SHA256")
    return OAuth2(f"{url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret, client_auth=client_auth or "basic")


def serving(sis: Engine, config: ServerConfig, clock: Callable[[], float] | None = None) -> LiveServer:
    """The mock SIS over `sis` with `config`, the demo clients registered, ready to start."""
    ensure_demo_clients(registry_for(config, sis))
    app = create_app(config, engine=sis) if clock is None else create_app(config, engine=sis, clock=clock)
    return LiveServer(app)


def quirky(*switches: str, faults: Faults | str | None = None, profile: str = "strict") -> ServerConfig:
    """A server configuration with a profile, quirk switches on top, and faults."""
    config = apply_profile(server_config(), profile, switches)
    if isinstance(faults, str):
        faults = Faults.parse(faults)
    return replace(config, faults=faults) if faults else config


def district(path: Path, data: dict[str, Any]) -> Engine:
    """A SIS store at `path` holding `data`, one enrollment deleted (a tombstone to carry, or to drop)."""
    sis = connect(f"sqlite:///{path}")
    load(sis, data)
    delete_record(sis, "enrollment", data["enrollment"][0]["sourcedId"])
    return sis


@dataclass
class Synced:
    """A full sync of a cell: its result or error, and how long it took."""

    result: SyncResult | None = None
    error: str | None = None
    version: str = "1.2"
    seconds: float = 0.0
    rejected: dict[str, set[str]] = field(default_factory=dict)


def sync_once(
    local: Engine,
    url: str,
    version: str,
    kind: str,
    client_auth: str,
    entities: tuple[str, ...] = ROSTER,
    page_size: int = 50,
    backoff: float = 0.05,
) -> Synced:
    """A full sync of the provider at `url` into `local` (connection "p"), as a user's connection would run it."""
    started = time.perf_counter()
    synced = Synced(version=version)
    settings = ClientSettings(page_size=page_size, backoff=backoff)
    with OneRosterClient(url, authenticator(url, kind, client_auth), settings) as client:
        try:
            synced.version = detect_version(client, entities) if version == "auto" else version
            synced.result = full_sync(local, "p", RestSource(client, synced.version), entities=entities)
        except (SyncError, AuthError) as error:
            synced.error = str(error)
    synced.seconds = time.perf_counter() - started
    return synced


def judge(synced: Synced, local: Engine, sis: Engine, config: ServerConfig, entities, says=()) -> tuple[str, bool]:
    """A cell's result (EQUAL, REJECTING, "different: ...", or the error) and whether nothing was applied."""
    applied_nothing = all(not stored_rows(local, "p", entity) for entity in entities)
    if synced.result is None:
        return synced.error or "failed", applied_nothing
    rejected = getattr(synced.result, "rejected", {})
    left_out = {e: rejected.get(e, set()) | withheld(sis, config).get(e, set()) for e in entities}
    different = difference(local, "p", sis, synced.version, entities, config.quirks.hard_deletes, left_out)
    different = different or unheld_references(local, "p", entities)
    tombstones = [
        (e, sid) for e in entities for sid, (status, _) in stored_rows(local, "p", e).items() if status != "active"
    ]
    if tombstones:  # a first sync has nothing to delete: a record that arrives deleted is not created
        different = different or f"different: a first sync stored deleted records, {tombstones[:3]}"
    if different:
        return different, applied_nothing
    if not rejected:
        return EQUAL, applied_nothing
    unexplained = [r for r in synced.result.rejections if not any(cause in r for cause in says)]
    return (f"different: unexplained rejections {unexplained[:3]}" if unexplained else REJECTING), applied_nothing


def run_cell(
    folder: Path, profile: str, faults: Faults | None, data: dict[str, Any], page_size: int = 50, backoff: float = 0.05
) -> Outcome:
    """Serve `data` as `profile` (with `faults`), sync it fully, and compare."""
    version, kind, client_auth, calm, faulty = MATRIX[profile]
    sis = district(folder / "sis.db", data)
    config = replace(apply_profile(server_config(), profile), faults=faults)
    local = connect(f"sqlite:///{folder / 'local.db'}")
    with serving(sis, config) as live:
        synced = sync_once(local, live.url, version, kind, client_auth, page_size=page_size, backoff=backoff)
    result, applied_nothing = judge(synced, local, sis, config, ROSTER)
    sis.dispose()
    local.dispose()
    label = "none" if faults is None else faults.text()
    return Outcome(profile, label, faulty if faults else calm, result, applied_nothing, synced.seconds)


def run_quirk_cell(
    folder: Path, name: str, data: dict[str, Any], page_size: int = 50, backoff: float = 0.05, seed: int | None = None
) -> Outcome:
    """Serve `data` with a quirk cell's switches (the seed replaced when given), sync it fully, and compare."""
    cell = QUIRK_CELLS[name]
    switches = (
        cell.switches if seed is None else (*[s for s in cell.switches if not s.startswith("seed=")], f"seed={seed}")
    )
    faults = Faults.parse(cell.faults) if cell.faults else None
    if faults is not None and seed is not None:
        faults = replace(faults, seed=seed)
    sis = district(folder / "sis.db", data)
    config = quirky(*switches, faults=faults)
    local = connect(f"sqlite:///{folder / 'local.db'}")
    with serving(sis, config) as live:
        synced = sync_once(
            local, live.url, cell.version, cell.auth, cell.client_auth, cell.entities, page_size, backoff
        )
    result, applied_nothing = judge(synced, local, sis, config, cell.entities, cell.says)
    sis.dispose()
    local.dispose()
    label = " ".join(switches) + (f" {faults.text()}" if faults else "")
    return Outcome(name, label, cell.expected, result, applied_nothing, synced.seconds)
