"""The sync engine against the mock SIS over real HTTP, and against providers that misbehave."""

from __future__ import annotations

import httpx
import pytest

from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient, SyncError
from rosterlab.consumer.normalize import normalize
from rosterlab.consumer.sources.rest import COLLECTIONS, RestSource
from rosterlab.consumer.store import SYNCED
from rosterlab.consumer.sync import full_sync, local_records
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import delete_record, set_record
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.render import render
from tests.conftest import server_config
from tests.live import LiveServer


@pytest.fixture
def provider(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    data = demo_district()
    load(engine, data)
    config = server_config()
    ensure_demo_clients(registry_for(config, engine))
    with LiveServer(create_app(config, engine=engine)) as live:
        yield live, engine, data


def _client(live, version: str) -> OneRosterClient:
    if version == "1.1":
        auth = OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, "HMAC-SHA1")
    else:
        auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    return OneRosterClient(live.url + "/ims/oneroster", auth, ClientSettings(page_size=50))


def expected(data, entity: str, version: str) -> dict[str, dict]:
    """The provider's records as the version renders them, taken from its canonical data, not over HTTP."""
    return {r["sourcedId"]: normalize(render(entity, r, version)) for r in data.get(entity, [])}


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_a_full_sync_copies_the_provider_field_by_field(provider, any_engine, version):
    """Into a local store on SQLite, then on PostgreSQL."""
    live, _, data = provider
    local = any_engine
    with _client(live, version) as client:
        result = full_sync(local, "district", RestSource(client, version), entities=SYNCED)
        assert result.counts["user"]["created"] == len(data["user"])
        for entity in COLLECTIONS:
            assert local_records(local, "district", entity) == expected(data, entity, version), entity
        again = full_sync(local, "district", RestSource(client, version), entities=SYNCED)
    assert not again.changed


def test_changes_and_deletions_reach_the_local_store(tmp_path, provider):
    live, sis, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    with _client(live, "1.2") as client:
        full_sync(local, "district", RestSource(client, "1.2"))
        renamed = dict(data["org"][1], name="Renamed School")
        set_record(sis, "org", renamed)
        delete_record(sis, "resource", "res-1")
        delete_record(sis, "user", data["user"][-1]["sourcedId"])
        result = full_sync(local, "district", RestSource(client, "1.2"))
    assert result.counts["org"]["updated"] == 1
    assert result.counts["user"]["deleted"] == 1
    assert local_records(local, "district", "org")[renamed["sourcedId"]]["name"] == "Renamed School"
    assert data["user"][-1]["sourcedId"] not in local_records(local, "district", "user", active_only=True)


def test_a_mass_deletion_is_held(tmp_path, provider):
    live, sis, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    with _client(live, "1.2") as client:
        full_sync(local, "district", RestSource(client, "1.2"))
        leaving = [u["sourcedId"] for u in data["user"][: len(data["user"]) * 3 // 10]]
        for sourced_id in leaving:
            delete_record(sis, "user", sourced_id)
        result = full_sync(local, "district", RestSource(client, "1.2"))
    assert result.held["user"] == len(leaving)
    assert set(leaving) <= set(local_records(local, "district", "user", active_only=True))


def test_wrong_credentials_fail_cleanly_and_apply_nothing(tmp_path, provider):
    live, _, _ = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    client = OneRosterClient(live.url, OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, "wrong"))
    from rosterlab.consumer.auth import AuthError

    with pytest.raises(AuthError, match="refused the credentials"):
        full_sync(local, "district", RestSource(client, "1.2"))


# -- providers that misbehave (an external party: simulated at the HTTP layer) -----------------------------


class NoAuth:
    def sign(self, request, http):
        return None

    def refresh(self, http):
        return False


def _provider(handler) -> OneRosterClient:
    sleeps: list[float] = []
    client = OneRosterClient(
        "http://sis.test",
        NoAuth(),
        ClientSettings(page_size=100, retries=3),
        sleep=sleeps.append,
        transport=httpx.MockTransport(handler),
    )
    client.sleeps = sleeps
    return client


USERS = [{"sourcedId": f"u{i:03d}", "status": "active"} for i in range(23)]


def test_a_silently_capped_page_size_still_yields_everything():
    def handler(request):
        offset = int(request.url.params["offset"])
        page = USERS[offset : offset + 7]  # the provider ignores limit=100
        return httpx.Response(200, json={"users": page})

    assert [u["sourcedId"] for u in _provider(handler).collection("/users", "users")] == [u["sourcedId"] for u in USERS]


def test_retry_after_is_honoured():
    calls = []

    def handler(request):
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "2"})
        offset = int(request.url.params["offset"])
        return httpx.Response(200, json={"users": USERS[offset : offset + 100]}, headers={"X-Total-Count": "23"})

    client = _provider(handler)
    assert len(client.collection("/users", "users")) == 23
    assert client.sleeps[0] == 2.0


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (httpx.Response(200, json={"statusInfoSet": []}), "without the 'users' array"),
        (httpx.Response(200, content=b'{"users": [{"sourcedId": "u1"'), "not JSON"),
        (httpx.Response(500, json={"imsx_description": "boom"}), "HTTP 500"),
    ],
)
def test_a_broken_response_is_an_error_not_an_empty_roster(response, says):
    with pytest.raises(SyncError, match=says):
        _provider(lambda request: response).collection("/users", "users")


def test_a_total_that_changes_mid_pull_restarts_then_gives_up():
    state = {"n": 0}

    def handler(request):
        state["n"] += 1
        return httpx.Response(200, json={"users": USERS[:5]}, headers={"X-Total-Count": str(20 + state["n"])})

    with pytest.raises(SyncError, match="kept changing"):
        _provider(handler).collection("/users", "users")


def test_fewer_records_than_announced_is_an_error():
    def handler(request):
        offset = int(request.url.params["offset"])
        return httpx.Response(
            200, json={"users": USERS[offset : offset + 10] if offset < 10 else []}, headers={"X-Total-Count": "23"}
        )

    with pytest.raises(SyncError, match="received 10 of the 23"):
        _provider(handler).collection("/users", "users")


class Signing:
    """Marks each request it signs, so a test can see where credentials went."""

    def sign(self, request, http):
        request.headers["Authorization"] = "Bearer secret-token"

    def refresh(self, http):
        return False


def _signed_provider(handler) -> OneRosterClient:
    return OneRosterClient(
        "http://sis.test",
        Signing(),
        ClientSettings(page_size=100),
        sleep=lambda _: None,
        transport=httpx.MockTransport(handler),
    )


def test_redirects_keep_credentials_on_the_same_origin_only():
    seen = []

    def handler(request):
        seen.append((request.url.host, request.url.path, request.headers.get("Authorization")))
        if request.url.host == "sis.test" and request.url.path == "/users":
            offset = request.url.params["offset"]
            return httpx.Response(307, headers={"Location": f"/v2/users?offset={offset}&limit=100"})
        if request.url.path == "/v2/users":
            return httpx.Response(
                302, headers={"Location": f"http://elsewhere.test/users?{request.url.query.decode()}"}
            )
        offset = int(request.url.params.get("offset", "0"))
        return httpx.Response(200, json={"users": USERS[offset : offset + 100]})

    client = _signed_provider(handler)
    assert len(client.collection("/users", "users")) == 23
    assert seen[:3] == [
        ("sis.test", "/users", "Bearer secret-token"),
        ("sis.test", "/v2/users", "Bearer secret-token"),
        ("elsewhere.test", "/users", None),
    ]


def test_a_provider_that_ignores_offset_is_an_error_not_a_short_roster():
    pages = []

    def handler(request):
        pages.append(request.url.params["offset"])
        return httpx.Response(200, json={"users": USERS[:10]})  # the same page, whatever the offset

    with pytest.raises(SyncError, match="the provider ignores offset"):
        _provider(handler).collection("/users", "users")
    assert pages == ["0", "10"]


def test_cookies_are_kept_and_status_info_beside_the_data_is_accepted():
    def handler(request):
        if "lb=node-2" not in request.headers.get("Cookie", ""):
            return httpx.Response(
                200, json={"users": USERS[:5]}, headers={"Set-Cookie": "lb=node-2; Path=/", "X-Total-Count": "23"}
            )
        offset = int(request.url.params["offset"])
        body = {"users": USERS[offset : offset + 5], "statusInfoSet": [{"imsx_codeMajor": "success"}]}
        return httpx.Response(200, json=body, headers={"X-Total-Count": "23"})

    assert [u["sourcedId"] for u in _provider(handler).collection("/users", "users")] == [u["sourcedId"] for u in USERS]


@pytest.mark.parametrize(
    "body",
    [
        {"imsx_codeMajor": "failure", "imsx_description": "bad filter", "imsx_codeMinor": "invalid_filter_field"},
        {
            "statusInfoSet": [
                {
                    "imsx_description": "bad filter",
                    "imsx_CodeMinor": {
                        "imsx_codeMinorField": [
                            {
                                "imsx_codeMinorFieldName": "TargetEndSystem",
                                "imsx_codeMinorFieldValue": "invalid_filter_field",
                            }
                        ]
                    },
                }
            ]
        },
    ],
    ids=["flat-code-minor", "1.1-envelope"],
)
def test_an_error_names_its_description_and_code_minor(body):
    with pytest.raises(SyncError, match=r"HTTP 400: bad filter \(invalid_filter_field\)"):
        _provider(lambda request: httpx.Response(400, json=body)).collection("/users", "users")


def test_collections_are_pulled_concurrently_within_the_connection_limit():
    import threading
    import time

    from rosterlab.consumer.store import ROSTER

    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def handler(request):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        key = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json={key: []}, headers={"X-Total-Count": "0"})

    pulled = RestSource(_provider(handler), "1.2", concurrency=2).pull(ROSTER, None)
    assert set(pulled.records) == set(ROSTER) and pulled.complete == frozenset(ROSTER)
    assert state["most"] == 2


def test_a_full_sync_of_a_generated_district_copies_it_field_by_field(tmp_path):
    from rosterlab.server.generate import DistrictGenerator, DistrictPlan

    data = {
        entity: list(stream)
        for entity, stream in DistrictGenerator(DistrictPlan.for_users(300, seed=3)).streams().items()
    }
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(engine, data)
    config = server_config()
    ensure_demo_clients(registry_for(config, engine))
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    with LiveServer(create_app(config, engine=engine)) as live, _client(live, "1.2") as client:
        full_sync(local, "generated", RestSource(client, "1.2"), entities=SYNCED)
    for entity in SYNCED:
        assert local_records(local, "generated", entity) == expected(data, entity, "1.2"), entity
    assert len(local_records(local, "generated", "user")) == len(data["user"]) > 250
