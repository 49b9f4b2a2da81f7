"""Round trip with generated rosters: roster -> mock SIS -> consumer over real HTTP -> equal, field by field,
across versions and authentication modes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources import RestSource
from rosterlab.consumer.store import SYNCED
from rosterlab.consumer.sync import full_sync, local_records
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.entities import model_for
from rosterlab.spec.render import render
from tests.conftest import server_config
from tests.live import LiveServer
from tests.quirk_matrix import REFERENCES
from tests.roster_strategies import rosters

AUTH_MODES = ("oauth1-sha1", "oauth1-sha256", "oauth2-basic", "oauth2-body")


@pytest.fixture(scope="module")
def mock_sis(tmp_path_factory):
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('roundtrip') / 'sis.db'}")
    load(engine, {})
    both = frozenset({"oauth1", "oauth2"})  # 1.2 is OAuth 2.0 only by default; here it takes both
    config = server_config(auth_methods_v1p1=both, auth_methods_v1p2=both)
    ensure_demo_clients(registry_for(config, engine))
    with LiveServer(create_app(config, engine=engine)) as live:
        yield live, engine


def authenticator(live, mode: str):
    if mode.startswith("oauth1"):
        return OAuth1(
            DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, "HMAC-SHA1" if mode.endswith("sha1") else "HMAC-SHA256"
        )
    client_auth = mode.split("-")[1]
    return OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret, client_auth=client_auth)


def kept_by_the_rules(roster, entities) -> dict[str, set[str]]:
    """The sourcedIds a first sync keeps, restated from the README: active records only, less those naming a
    user, class or line item that is deleted, or itself not kept."""
    kept = {e: {r["sourcedId"] for r in roster.get(e, []) if r.get("status") != "tobedeleted"} for e in entities}
    changed = True
    while changed:
        changed = False
        for entity, references in REFERENCES.items():
            if entity not in kept:
                continue
            for record in roster.get(entity, []):
                sid = record["sourcedId"]
                for field, target in references:
                    if sid not in kept[entity] or target not in ("user", "class", "lineItem") or target not in kept:
                        continue
                    value = record.get(field)
                    refs = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
                    named = [sid] if field == "sourcedId" else [ref["sourcedId"] for ref in refs]
                    if any(n not in kept[target] for n in named):
                        kept[entity].discard(sid)
                        changed = True
    return kept


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(roster=rosters(), version=st.sampled_from(["1.1", "1.2"]), mode=st.sampled_from(AUTH_MODES))
def test_a_generated_roster_arrives_equal(mock_sis, roster, version, mode):
    """Every record a first sync keeps arrives equal, field by field; deleted records are not created, and a
    record naming a deleted user, class or line item is rejected with that cause."""
    live, engine = mock_sis
    load(engine, roster)
    local = create_engine("sqlite://")
    entities = tuple(e for e in SYNCED if model_for(version).has_entity(e))
    client = OneRosterClient(live.url, authenticator(live, mode), ClientSettings(page_size=7))
    with client:
        result = full_sync(local, "generated", RestSource(client, version), entities=entities)
    kept = kept_by_the_rules(roster, entities)
    for entity in entities:
        expected = {}
        for record in roster.get(entity, []):
            rendered = render(entity, record, version)
            if rendered is not None and record["sourcedId"] in kept[entity]:
                expected[record["sourcedId"]] = normalize(rendered)
        assert local_records(local, "generated", entity) == expected, entity
    assert all("which the provider deleted" in r or "which was rejected" in r for r in result.rejections)
