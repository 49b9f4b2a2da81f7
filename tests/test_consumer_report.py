"""The report on consumers: rosterlab's own consumer gets full marks; a deliberately careless client, written
here, is flagged for each of its faults."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import httpx
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from rosterlab.conformance.consumer_report import clients, grade_client
from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.sources import RestSource
from rosterlab.consumer.sync import delta_sync, full_sync
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.live import LiveServer

USERS = "/ims/oneroster/rostering/v1p2/users"


@pytest.fixture
def recording_mock(tmp_path):
    sis = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(sis, demo_district())
    config = replace(server_config(), record_requests=True, faults=Faults(seed=4, rate429=0.15, retry_after=1))
    ensure_demo_clients(registry_for(config, sis))
    with LiveServer(create_app(config, engine=sis)) as live:
        yield live, sis


def test_rosterlabs_consumer_gets_full_marks(tmp_path, recording_mock):
    live, sis = recording_mock
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    settings = ClientSettings(page_size=40)
    with OneRosterClient(
        live.url, OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret), settings
    ) as c:
        full_sync(local, "d", RestSource(c, "1.2"))
        delta_sync(local, "d", RestSource(c, "1.2"))
    with OneRosterClient(live.url, OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret), settings) as c:
        full_sync(local, "d1", RestSource(c, "1.1"))
        delta_sync(local, "d1", RestSource(c, "1.1"))
    assert set(clients(sis)) >= {DEMO_OAUTH2.client_id, DEMO_OAUTH1.client_id}
    for client in (DEMO_OAUTH2.client_id, DEMO_OAUTH1.client_id):
        grades = {g.id: g for g in grade_client(sis, client)}
        assert not [g for g in grades.values() if g.status == "fail"], grades
        assert grades["consumer.retry-after"].status == "pass"  # it was asked to wait, and did
        assert grades["consumer.complete-pulls"].status == "pass" and grades["consumer.deltas"].status == "pass"
    assert grade_client(sis, DEMO_OAUTH2.client_id)[4].status == "pass"  # least scope: asked, and only to read


def careless_oauth2(url: str) -> None:
    """Asks for every scope, pages without sort, stops after one page, ignores Retry-After, re-sends a POST that
    failed, and pulls everything again instead of asking for changes."""
    with httpx.Client() as http:
        token = http.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret),
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for _ in range(2):  # two "syncs", each reads one page and calls it done
            for offset in (0, 10):
                while http.get(url + USERS, params={"limit": 10, "offset": offset}, headers=headers).status_code == 429:
                    pass  # straight back, whatever Retry-After said
        body = {"sourcedIdPairs": {"suppliedSourcedId": "x"}, "lineItems": []}
        path = f"{url}/ims/oneroster/gradebook/v1p2/classes/class-1-0-0/lineItems"
        for _ in range(8):  # "just send it again" until something sticks
            http.post(path, json=body, headers=headers)


def careless_oauth1(url: str) -> None:
    """Signs the URL, then adds a parameter the signature does not cover."""
    client = Client(DEMO_OAUTH1.client_id, client_secret=DEMO_OAUTH1.secret, signature_method=SIGNATURE_HMAC_SHA256)
    target = f"{url}/ims/oneroster/v1p1/users?limit=5"
    for _ in range(10):
        _, headers, _ = client.sign(target, "GET")
        if httpx.get(target + "&offset=0", headers=headers).status_code != 429:
            break


def test_a_careless_client_is_flagged_for_each_fault(tmp_path):
    sis = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(sis, demo_district())
    config = replace(server_config(), record_requests=True, faults=Faults(seed=2, rate429=0.5, retry_after=2))
    ensure_demo_clients(registry_for(config, sis))
    with LiveServer(create_app(config, engine=sis)) as live:
        careless_oauth2(live.url)
        careless_oauth1(live.url)
    grades = {g.id: g.status for g in grade_client(sis, DEMO_OAUTH2.client_id)}
    assert grades == {
        "consumer.complete-pulls": "fail",
        "consumer.stable-order": "fail",
        "consumer.retry-after": "fail",
        "consumer.no-blind-write-retries": "fail",
        "consumer.least-scope": "fail",
        "consumer.deltas": "fail",
        "consumer.signatures": "skip",
    }
    assert {g.id: g.status for g in grade_client(sis, DEMO_OAUTH1.client_id)}["consumer.signatures"] == "fail"
    report = subprocess.run(
        [sys.executable, "-m", "rosterlab", "report", "consumer", "--database", f"sqlite:///{tmp_path / 'sis.db'}",
         "--client", DEMO_OAUTH2.client_id],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert report.returncode == 1 and "FAIL  consumer.retry-after" in report.stdout
