"""Each quirk switch and fault seen on the wire, over real HTTP: the deviation it promises, and nothing else."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import delete_record
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import PROFILES, apply_profile
from rosterlab.server.quirks.switches import DESCRIPTIONS, Quirks
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.live import LiveServer, bearer

USERS_1P2 = "/ims/oneroster/rostering/v1p2/users"
USERS_1P1 = "/ims/oneroster/v1p1/users"


@pytest.fixture
def sis(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(engine, demo_district())
    return engine


def serve(sis, *switches: str, **settings):
    config = replace(server_config(), quirks=Quirks().switched(list(switches)), **settings)
    ensure_demo_clients(registry_for(config, sis))
    return LiveServer(create_app(config, engine=sis))


def test_every_switch_is_described_and_every_profile_uses_known_switches():
    assert set(DESCRIPTIONS) == set(Quirks.__dataclass_fields__)
    for profile in PROFILES.values():
        assert profile.imitates
    with pytest.raises(ValueError, match="unknown quirk"):
        Quirks().switched(["teleport"])
    with pytest.raises(ValueError, match="unknown profile"):
        apply_profile(server_config(), "moodle-like")


def test_count_headers_links_and_booleans(sis):
    with serve(sis, "no_count_headers", "string_booleans") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        plain = http.get(live.url + USERS_1P2, params={"limit": 5}, headers=headers)
        assert plain.status_code == 200 and "X-Total-Count" not in plain.headers and "Link" not in plain.headers
        v1p1 = http.get(live.url + USERS_1P1, params={"limit": 5}, headers=headers).json()["users"]
        assert {u["enabledUser"] for u in v1p1} <= {"true", "false"}


def test_a_malformed_link_and_a_status_info_beside_the_data(sis):
    with serve(sis, "malformed_link", "status_info_on_success") as live, httpx.Client() as http:
        response = http.get(live.url + USERS_1P2, params={"limit": 5}, headers=bearer(http, live.url))
        assert response.headers["Link"].endswith(",")
        body = response.json()
        assert len(body["users"]) == 5 and body["statusInfoSet"][0]["imsx_codeMajor"] == "success"


def test_a_silent_page_cap_and_a_flat_code_minor(sis):
    with serve(sis, "page_cap=7", "flat_code_minor") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        page = http.get(live.url + USERS_1P2, params={"limit": 100}, headers=headers)
        assert len(page.json()["users"]) == 7 and int(page.headers["X-Total-Count"]) > 7
        bad = http.get(live.url + USERS_1P2, params={"filter": "shoeSize='9'"}, headers=headers).json()
        assert bad["imsx_codeMinor"] == "invalid_data" and "imsx_CodeMinor" not in bad  # as Ed-Fi spells every 400


def test_hard_deletes_and_a_total_counted_before_the_filter(sis):
    gone = demo_district()["user"][0]["sourcedId"]
    delete_record(sis, "user", gone)
    with serve(sis, "hard_deletes", "total_before_filter") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        listed = http.get(live.url + USERS_1P2, params={"limit": 1000}, headers=headers)
        assert gone not in {u["sourcedId"] for u in listed.json()["users"]}
        assert http.get(f"{live.url}{USERS_1P2}/{gone}", headers=headers).status_code == 404
        teachers = http.get(live.url + USERS_1P2, params={"filter": "roles.role='teacher'"}, headers=headers)
        assert len(teachers.json()["users"]) < int(teachers.headers["X-Total-Count"]) == len(listed.json()["users"])


def test_token_redirects_query_only_tokens_and_load_balancer_cookies(sis):
    with serve(sis, "token_redirect") as live, httpx.Client() as http:
        moved = http.post(
            f"{live.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret),
        )
        assert moved.status_code == 307 and moved.headers["Location"].startswith("http://localhost:")
    with serve(sis, "token_query_only", "lb_cookie", token_query_string=True) as live, httpx.Client() as http:
        refused = http.post(
            f"{live.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret),
        )
        assert refused.status_code == 401 and "query string" in refused.json()["error_description"]
        query = {
            "client_id": DEMO_OAUTH2.client_id,
            "client_secret": DEMO_OAUTH2.secret,
            "grant_type": "client_credentials",
        }
        issued = http.post(f"{live.url}/oauth/token", params=query)
        assert issued.status_code == 200 and "AWSALB" in issued.cookies
        bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        assert http.get(live.url + USERS_1P2, headers=bearer).status_code == 200  # the cookie came back
        assert httpx.get(live.url + USERS_1P2, headers=bearer).status_code == 401  # a client without it


def test_missing_versions_and_endpoints_and_the_wrong_model(sis):
    both = frozenset({"oauth1", "oauth2"})
    with serve(sis, "v1p1_only", "no_school_endpoints") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        assert http.get(live.url + USERS_1P2, headers=headers).status_code == 404
        assert http.get(live.url + USERS_1P1, headers=headers).status_code == 200
        assert http.get(f"{live.url}/ims/oneroster/v1p1/schools/school-1/classes", headers=headers).status_code == 404
    with serve(sis, "v1p2_model_on_v1p1", auth_methods_v1p2=both) as live, httpx.Client() as http:
        users = http.get(live.url + USERS_1P1, headers=bearer(http, live.url)).json()["users"]
        assert all("roles" in u and "role" not in u for u in users)


def test_at_most_n_requests_at_once(sis):
    config = replace(server_config(), quirks=Quirks(max_concurrent=3), faults=Faults(latency=200))
    ensure_demo_clients(registry_for(config, sis))

    async def burst(url: str) -> list[int]:
        async with httpx.AsyncClient() as http:
            got = await http.post(
                f"{url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret),
            )
            headers = {"Authorization": f"Bearer {got.json()['access_token']}"}
            answers = await asyncio.gather(*(http.get(url + USERS_1P2, headers=headers) for _ in range(8)))
            return [a.status_code for a in answers]

    with LiveServer(create_app(config, engine=sis)) as live:
        statuses = asyncio.run(burst(live.url))
    assert statuses.count(200) == 3 and statuses.count(429) == 5


def _statuses(sis, faults: Faults) -> list[int]:
    config = replace(server_config(), faults=faults)
    ensure_demo_clients(registry_for(config, sis))
    with LiveServer(create_app(config, engine=sis)) as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        out = []
        for offset in range(0, 60, 2):
            try:
                out.append(
                    http.get(live.url + USERS_1P2, params={"limit": 2, "offset": offset}, headers=headers).status_code
                )
            except httpx.TransportError:
                out.append(-1)  # the connection dropped mid-body
    return out


def test_faults_are_reproducible_from_their_seed(sis):
    mix = Faults.parse("mix,latency=0,change_mid_pull=0,expire_token_after=0,rate429=0.2,burst=0.1,reset=0.1")
    first, again, other = _statuses(sis, mix), _statuses(sis, mix), _statuses(sis, replace(mix, seed=2))
    assert first == again != other
    assert {429, 503, -1} <= set(first) and 200 in first
    assert Faults.parse(mix.text()) == mix
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.parse("gremlins=3")
