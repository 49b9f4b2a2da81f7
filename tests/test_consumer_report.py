"""The report on consumers, from the mock's request log: rosterlab's own consumer and a well-behaved scripted
client get full marks; scripted clients with one fault each are failed by exactly the criterion for it
(CLIENTS); what the mock itself causes is never held against a client."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import count
from types import SimpleNamespace

import httpx
import pytest
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from rosterlab.conformance.consumer_report import CRITERIA, clients, grade_client, signs_everything
from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.sources import RestSource
from rosterlab.consumer.sync import delta_sync, full_sync
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import Faults
from rosterlab.server.quirks.profiles import apply_profile
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.scopes import GRADEBOOK_POST, GRADEBOOK_PUT, ROSTER_CORE, scope_uri
from tests.conftest import server_config
from tests.live import LiveServer

ROSTERING = "/ims/oneroster/rostering/v1p2"
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
LIMIT = 100  # what the scripted clients ask for; the mock caps pages at 75 (a PowerSchool-like provider)
NEEDED = " ".join(scope_uri("1.2", s) for s in (ROSTER_CORE, GRADEBOOK_PUT))  # what a scripted sync uses


@dataclass
class Scripted:
    """A hand-written OneRoster 1.2 client that syncs users and classes twice and writes one grade. It behaves
    well, unless `fault` names one thing it does wrong."""

    url: str
    client_id: str
    secret: str
    fault: str = ""
    http: httpx.Client = field(default_factory=httpx.Client)
    token: str | None = None
    busy_seen: bool = False

    def bearer(self) -> dict[str, str]:
        if self.token is None or self.fault == "a token per request":
            scope = NEEDED + (" " + scope_uri("1.2", GRADEBOOK_POST) if self.fault == "re-sends a failed POST" else "")
            data = {"grant_type": "client_credentials"}
            if self.fault != "asks for every scope":
                data["scope"] = scope
            issued = self.http.post(f"{self.url}/oauth/token", data=data, auth=(self.client_id, self.secret))
            assert issued.status_code == 200, issued.text
            self.token = issued.json()["access_token"]
        return {"Authorization": f"Bearer {self.token}"}

    def send(self, method: str, path: str, **kwargs) -> httpx.Response:
        for _ in range(20):
            answer = self.http.request(method, self.url + path, headers=self.bearer(), **kwargs)
            if answer.status_code != 429:
                return answer
            self.busy_seen = True
            if self.fault != "ignores Retry-After":
                time.sleep(float(answer.headers["Retry-After"]))
        raise AssertionError("busy for good")

    def pull(self, path: str, key: str, since: str | None = None) -> list[dict]:
        records: list[dict] = []
        offset = 0
        while True:
            query = {"limit": str(LIMIT), "offset": str(offset)}
            if self.fault != "pages without sort":
                changed = self.fault == "changes sort mid-pull" and offset > 0
                query["sort"] = "familyName" if changed else "sourcedId"
            if since and self.fault != "always pulls everything":
                query["filter"] = f"dateLastModified>='{since}'"
            page = self.send("GET", path, params=query)
            found = page.json()[key]
            records += found
            if self.fault == "jumps by its limit":  # and trusts a short page to be the last
                offset += LIMIT
                if len(found) < LIMIT:
                    return records
                continue
            offset += len(found)
            total = page.headers.get("X-Total-Count")
            if not found or (total is not None and offset >= int(total)):
                return records

    def run(self) -> None:
        since = "2000-01-01T00:00:00.000Z"
        for delta in (None, since):  # a full sync, then a delta
            self.pull(f"{ROSTERING}/users", "users", delta)
            self.pull(f"{ROSTERING}/classes", "classes", delta)
        score_date = "2024-10-09T08:00:00Z" if self.fault == "sends date-times as dates" else "2024-10-09"
        result = {"lineItem": {"sourcedId": "li-class-1-0-0-1"}, "student": {"sourcedId": "user-20"},
                  "scoreStatus": "fully graded", "score": 81.5, "scoreDate": score_date}  # fmt: skip
        written = self.send("PUT", f"{GRADEBOOK}/results/scripted-{self.client_id}", json={"result": result})
        assert written.status_code in (200, 201), written.text
        for _ in range(100):  # until the provider has asked it to wait at least once
            if self.busy_seen:
                break
            self.send("GET", f"{ROSTERING}/orgs")
        if self.fault == "re-sends a failed POST":
            self.post_until_refused_then_again()

    def post_until_refused_then_again(self) -> None:
        body = {"sourcedIdPairs": {"suppliedSourcedId": "x"}, "lineItems": []}
        path = f"{self.url}{GRADEBOOK}/classes/class-1-0-0/lineItems"
        for _ in range(50):
            refused = self.http.post(path, json=body, headers=self.bearer())
            if refused.status_code == 429:
                time.sleep(float(refused.headers["Retry-After"]))  # it waits as asked, then...
                self.http.post(path, json=body, headers=self.bearer())  # ..."just sends it again"
                return
        raise AssertionError("no POST was ever refused as busy")


@dataclass
class Signing:
    """A hand-written OAuth 1.0a client: it asks whether 1.2 answers (the mock takes only OAuth 2.0 there), then
    reads users from 1.1; with `fault`, a parameter added after signing."""

    url: str
    client_id: str
    secret: str
    fault: str = ""

    def get(self, http: httpx.Client, url: str, signed: str) -> httpx.Response:
        signer = Client(self.client_id, client_secret=self.secret, signature_method=SIGNATURE_HMAC_SHA256)
        for _ in range(20):
            _, headers, _ = signer.sign(signed, "GET")
            answer = http.get(url, headers=headers)
            if answer.status_code != 429:
                return answer
            time.sleep(float(answer.headers["Retry-After"]))
        raise AssertionError("busy for good")

    def run(self) -> None:
        with httpx.Client() as http:
            probe = f"{self.url}{ROSTERING}/orgs?limit=1"
            assert self.get(http, probe, probe).status_code == 401  # OAuth 1.0a is not taken on 1.2 here
            for offset in (0, 75, 150):
                target = f"{self.url}/ims/oneroster/v1p1/users?limit=100&sort=sourcedId"
                self.get(http, f"{target}&offset={offset}", target if self.fault else f"{target}&offset={offset}")


# scripted client -> the criteria it fails; every other criterion passes or does not apply
CLIENTS: dict[str, set[str]] = {
    "": set(),
    "pages without sort": set(),  # over the mock's stable default order: no accusation
    "jumps by its limit": {"consumer.complete-pulls"},
    "changes sort mid-pull": {"consumer.stable-order"},
    "ignores Retry-After": {"consumer.retry-after"},
    "re-sends a failed POST": {"consumer.no-blind-write-retries"},
    "asks for every scope": {"consumer.least-scope"},
    "a token per request": {"consumer.token-reuse"},
    "always pulls everything": {"consumer.deltas"},
    "sends date-times as dates": {"consumer.date-formats"},
    "OAuth 1.0a": set(),  # its 401 on 1.2 is the mock's choice of methods, not a signature fault
    "OAuth 1.0a, a parameter unsigned": {"consumer.signatures"},
}
# what a well-behaved scripted client must have earned a pass on (not merely been spared)
EARNED = {
    "consumer.complete-pulls",
    "consumer.stable-order",
    "consumer.retry-after",
    "consumer.least-scope",
    "consumer.token-reuse",
    "consumer.deltas",
    "consumer.date-formats",
}


@pytest.fixture(scope="module")
def mock(tmp_path_factory):
    """The store and registry of a recording mock; `serving(mock)` serves it. A client is graded once the mock
    has stopped, when every request it made is in the log."""
    sis = connect(f"sqlite:///{tmp_path_factory.mktemp('consumers') / 'sis.db'}")
    load(sis, demo_district())
    registry = registry_for(server_config(), sis)
    ensure_demo_clients(registry)
    yield sis, registry
    sis.dispose()


def serving(mock) -> LiveServer:
    """The mock capping pages at 75, taking date-times as dates, and asking for waits now and then."""
    sis, _ = mock
    faults = Faults(seed=4, rate429=0.05, retry_after=1)
    config = replace(apply_profile(server_config(), "strict", ("page_cap=75", "datetime_dates")),
                     record_requests=True, faults=faults)  # fmt: skip
    return LiveServer(create_app(config, engine=sis))


@pytest.fixture(scope="module")
def scripted(mock):
    """Every scripted client's grades, by its fault."""
    sis, registry = mock
    numbers = count(1)
    ids, runs = {}, []
    with serving(mock) as live:
        for fault in CLIENTS:
            issued = registry.add(f"scripted {next(numbers)}: {fault or 'well-behaved'}")
            kind = Signing if fault.startswith("OAuth 1.0a") else Scripted
            chosen = fault.removeprefix("OAuth 1.0a").removeprefix(", ")
            runs.append(kind(live.url, issued.client.client_id, issued.secret, chosen).run)
            ids[fault] = issued.client.client_id
        with ThreadPoolExecutor(len(runs)) as pool:  # side by side: their waits overlap
            for done in [pool.submit(run) for run in runs]:
                done.result()
    return {fault: {g.id: g for g in grade_client(sis, client)} for fault, client in ids.items()}


@pytest.mark.parametrize("fault", list(CLIENTS), ids=lambda fault: fault or "well-behaved")
def test_each_scripted_client_fails_exactly_its_criterion(scripted, fault):
    grades = scripted[fault]
    failed = {i: g.detail for i, g in grades.items() if g.status == "fail"}
    assert set(failed) == CLIENTS[fault], grades
    for grade in grades.values():
        if grade.status == "fail":
            assert grade.detail  # it says what the client did


def test_a_well_behaved_client_earns_its_passes(scripted):
    grades = scripted[""]
    assert {i for i, g in grades.items() if g.status == "pass"} >= EARNED, grades
    assert scripted["pages without sort"]["consumer.stable-order"].status == "pass"
    assert scripted["OAuth 1.0a"]["consumer.signatures"].status == "pass"


def test_completeness_says_what_was_left_unread(scripted):
    detail = scripted["jumps by its limit"]["consumer.complete-pulls"].detail
    assert "users: read 75 of 138" in detail and "places 75-137 never read" in detail


def test_rosterlabs_consumer_gets_full_marks(tmp_path, mock):
    sis, _ = mock
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    settings = ClientSettings(page_size=40)
    with serving(mock) as live:
        oauth2 = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        with OneRosterClient(live.url, oauth2, settings) as c:
            full_sync(local, "d", RestSource(c, "1.2"))
            delta_sync(local, "d", RestSource(c, "1.2"))
        with OneRosterClient(live.url, OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret), settings) as c:
            full_sync(local, "d1", RestSource(c, "1.1"))
            delta_sync(local, "d1", RestSource(c, "1.1"))
    assert set(clients(sis)) >= {DEMO_OAUTH2.client_id, DEMO_OAUTH1.client_id}
    for client in (DEMO_OAUTH2.client_id, DEMO_OAUTH1.client_id):
        grades = {g.id: g for g in grade_client(sis, client)}
        assert not [g for g in grades.values() if g.status == "fail"], grades
        assert grades["consumer.complete-pulls"].status == "pass" and grades["consumer.deltas"].status == "pass"
    oauth2 = {g.id: g for g in grade_client(sis, DEMO_OAUTH2.client_id)}
    assert oauth2["consumer.least-scope"].status == "pass" and oauth2["consumer.token-reuse"].status == "pass"


def _row(**values):
    base = {"method": "GET", "path": "/ims/oneroster/v1p1/users", "query": "limit=1", "status": 200, "auth": "oauth1",
            "reason": None, "records": 1, "total": 1, "at": 0.0, "scope_asked": None, "retry_after": None}  # fmt: skip
    return SimpleNamespace(**{**base, **values})


def test_a_401_the_mock_caused_by_redirecting_is_not_a_signature_fault():
    mismatch = "the OAuth 1.0a signature does not match the request"
    after_redirect = [_row(status=307, path="/ims/oneroster/v1p1/users/"), _row(status=401, reason=mismatch)]
    assert signs_everything(after_redirect).status == "pass"
    assert signs_everything([_row(), _row(status=401, reason=mismatch)]).status == "fail"
    assert signs_everything([_row(status=401, reason="OneRoster 1.2 here accepts only OAuth 2.0")]).status == "pass"


def test_the_command_line_report_exits_1_on_a_failed_criterion(mock, scripted):
    sis, registry = mock
    faulty = next(c for c in registry.all() if c.name.endswith("jumps by its limit"))
    report = subprocess.run(
        [sys.executable, "-m", "rosterlab", "report", "consumer", "--database", str(sis.url), "--client",
         faulty.client_id],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert report.returncode == 1 and "FAIL  consumer.complete-pulls" in report.stdout
    assert report.stdout.count("\n  ") == len(CRITERIA)  # a line per criterion
