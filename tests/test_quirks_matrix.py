"""Every profile x {no faults, a seeded fault mix}: the consumer ends with the provider's data, or fails
cleanly with nothing applied and an error that names the cause. Each cell's expected outcome is written here."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from rosterlab.consumer.auth import AuthError, OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient, SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.rest import RestSource, detect_version
from rosterlab.consumer.store import ROSTER, runs
from rosterlab.consumer.sync import full_sync, local_records
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import delete_record
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import MIX
from rosterlab.server.quirks.profiles import PROFILES, apply_profile
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.server.store.tables import ENTITY_TABLES
from tests.conftest import server_config
from tests.live import LiveServer

EQUAL = "equal"

# profile -> how a user would connect to it (version, auth, OAuth 2.0 client authentication), and the outcome
# without faults and with the fault mix: EQUAL, or a fragment of the error the sync must fail with.
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


def test_the_matrix_covers_every_profile():
    assert set(MATRIX) == set(PROFILES)


def provider_records(sis, entity: str, version: str, hard_deletes: bool) -> dict[str, dict]:
    """What the provider holds at the end, as `version` renders it, read from its own store."""
    table = ENTITY_TABLES[entity]
    column = table.c.v1p1 if version == "1.1" else table.c.v1p2
    with sis.connect() as connection:
        rows = connection.execute(select(column, table.c.status)).all()
    return {doc["sourcedId"]: normalize(doc) for doc, status in rows if not (hard_deletes and status == "tobedeleted")}


def authenticator(live, kind: str, client_auth: str):
    if kind == "oauth1":
        return OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, "HMAC-SHA256")
    return OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret, client_auth=client_auth)


@pytest.mark.parametrize("faults", [False, True], ids=["no-faults", "fault-mix"])
@pytest.mark.parametrize("profile", list(MATRIX))
def test_the_consumer_survives_the_provider(tmp_path, profile, faults):
    version, kind, client_auth, calm, faulty = MATRIX[profile]
    expected = faulty if faults else calm
    sis = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    data = demo_district()
    load(sis, data)
    delete_record(sis, "enrollment", data["enrollment"][0]["sourcedId"])  # a deletion for hard-delete profiles
    config = apply_profile(server_config(), profile)
    if faults:
        config = replace(config, faults=MIX)
    ensure_demo_clients(registry_for(config, sis))
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    settings = ClientSettings(page_size=50, backoff=0.05)
    with LiveServer(create_app(config, engine=sis)) as live:
        client = OneRosterClient(live.url, authenticator(live, kind, client_auth), settings)
        with client:
            try:
                used = detect_version(client) if version == "auto" else version
                result = full_sync(local, "p", RestSource(client, used), entities=ROSTER)
            except (SyncError, AuthError) as error:
                assert expected != EQUAL, f"{profile}: the sync failed: {error}"
                assert expected in str(error), f"{profile}: failed for another reason: {error}"
                for entity in ROSTER:
                    assert local_records(local, "p", entity) == {}, "a failed sync applied something"
                return
    assert expected == EQUAL, f"{profile}: the sync succeeded where it should have failed with {expected!r}"
    assert not result.held
    hard = config.quirks.hard_deletes
    for entity in ROSTER:
        assert local_records(local, "p", entity) == provider_records(sis, entity, used, hard), f"{profile}: {entity}"
    if faults:
        assert "late-arrival" in local_records(local, "p", "user"), "the data set did not change mid-pull"
    with local.connect() as db:
        assert db.execute(select(runs.c.outcome)).scalars().all() == ["applied"]
