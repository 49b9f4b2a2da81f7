"""Gradebook writes end to end: what a grade-sync integration does, on 1.1 (OAuth 1.0a) and 1.2 (OAuth 2.0),
over real HTTP against its own demo district; and the refusals, which must change nothing."""

from __future__ import annotations

import httpx
import pytest
import requests
from requests_oauthlib import OAuth1

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import fetch_token, server_config
from tests.databases import fresh_postgres_database
from tests.live import LiveServer

V11 = "/ims/oneroster/v1p1"
V12R = "/ims/oneroster/rostering/v1p2"
V12G = "/ims/oneroster/gradebook/v1p2"
LONG_TITLE = "Unit 3 — fractions, decimals and percentages: " + "practice " * 40


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def writable(request, tmp_path_factory):
    """A live mock SIS over a demo district of its own, which the tests may change."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('writes') / 'w.db'}"
        yield from _serve(url)
    else:
        with fresh_postgres_database() as url:
            yield from _serve(url)


def _serve(url: str):
    engine = connect(url)
    data = demo_district()
    load(engine, data)
    config = server_config()
    registry = registry_for(config, engine)
    ensure_demo_clients(registry)
    with LiveServer(create_app(config, engine=engine)) as live:
        yield live, registry, data
    engine.dispose()


class V12Client:
    """A 1.2 integration: bearer token, rostering and gradebook base paths."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def get(self, path: str, **params):
        return self.http.get(path, params=params or None)

    def put(self, path: str, body):
        return self.http.put(path, json=body)

    def delete(self, path: str):
        return self.http.delete(path)


class V11Client:
    """A 1.1 integration signing every request with OAuth 1.0a (HMAC-SHA256)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.auth = OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, signature_method="HMAC-SHA256")

    def get(self, path: str, **params):
        return self.session.get(self.base + path, params=params or None, timeout=30)

    def put(self, path: str, body):
        return self.session.put(self.base + path, json=body, timeout=30)

    def delete(self, path: str):
        return self.session.delete(self.base + path, timeout=30)


def _teacher_with_classes(data) -> dict:
    return next(u for u in data["user"] if u["roles"][0]["role"] == "teacher")


def test_grade_sync_flow_v1p2(writable):
    live, _, data = writable
    api = V12Client(live.url, fetch_token(live.url))
    teacher = _teacher_with_classes(data)
    found = api.get(f"{V12R}/teachers", filter=f"email='{teacher['email']}'", limit="10000").json()["users"]
    assert [u["sourcedId"] for u in found] == [teacher["sourcedId"]]
    classes = api.get(f"{V12R}/teachers/{teacher['sourcedId']}/classes", filter="status='active'").json()["classes"]
    assert classes
    klass = classes[0]
    students = api.get(f"{V12R}/classes/{klass['sourcedId']}/students").json()["users"]
    assert students and all("email" in s for s in students)
    categories = api.get(f"{V12G}/classes/{klass['sourcedId']}/categories").json()["categories"]
    assert categories
    term = klass["terms"][0]["sourcedId"]
    periods = api.get(f"{V12R}/terms/{term}/gradingPeriods").json()["academicSessions"]
    assert periods and all(p["type"] == "gradingPeriod" for p in periods)

    line_item = {
        "title": "Quiz 7",
        "assignDate": "2024-10-01T08:00:00Z",
        "dueDate": "2024-10-08T08:00:00Z",
        "class": {"sourcedId": klass["sourcedId"]},
        "school": {"sourcedId": klass["school"]["sourcedId"]},
        "category": {"sourcedId": categories[0]["sourcedId"]},
        "gradingPeriod": {"sourcedId": periods[0]["sourcedId"]},
        "resultValueMin": 0.0,
        "resultValueMax": 100.0,
    }
    assert api.put(f"{V12G}/lineItems/sync-li-1", {"lineItem": line_item}).status_code == 201
    listed = api.get(f"{V12G}/classes/{klass['sourcedId']}/lineItems").json()["lineItems"]
    assert "sync-li-1" in {li["sourcedId"] for li in listed}
    assert api.put(f"{V12G}/lineItems/sync-li-1", {"lineItem": dict(line_item, title=LONG_TITLE)}).status_code == 200
    assert api.get(f"{V12G}/lineItems/sync-li-1").json()["lineItem"]["title"] == LONG_TITLE

    result = {
        "lineItem": {"sourcedId": "sync-li-1"},
        "student": {"sourcedId": students[0]["sourcedId"]},
        "scoreStatus": "fully graded",
        "score": 300.0,
        "scoreDate": "2024-10-09",
        "comment": "extra credit",
    }
    assert api.put(f"{V12G}/results/sync-r-1", {"result": result}).status_code == 201
    stored = api.get(f"{V12G}/results/sync-r-1").json()["result"]
    assert stored["score"] == 300.0 and stored["class"]["sourcedId"] == klass["sourcedId"]
    exempt = dict(result, scoreStatus="exempt")
    del exempt["score"]
    assert api.put(f"{V12G}/results/sync-r-1", {"result": exempt}).status_code == 200
    assert api.get(f"{V12G}/results/sync-r-1").json()["result"]["scoreStatus"] == "exempt"
    in_class = api.get(f"{V12G}/classes/{klass['sourcedId']}/lineItems/sync-li-1/results").json()["results"]
    assert [r["sourcedId"] for r in in_class] == ["sync-r-1"]

    assert api.delete(f"{V12G}/results/sync-r-1").status_code == 204
    assert api.delete(f"{V12G}/lineItems/sync-li-1").status_code == 204
    assert api.get(f"{V12G}/lineItems/sync-li-1").status_code == 404
    assert api.get(f"{V12G}/results/sync-r-1").status_code == 404
    after = api.get(f"{V12G}/classes/{klass['sourcedId']}/lineItems").json()["lineItems"]
    assert "sync-li-1" not in {li["sourcedId"] for li in after}
    all_results = api.get(f"{V12G}/results", filter="sourcedId='sync-r-1'").json()["results"]
    assert all_results == []


def test_grade_sync_flow_v1p1_with_oauth1(writable):
    live, _, data = writable
    api = V11Client(live.url)
    teacher = _teacher_with_classes(data)
    found = api.get(f"{V11}/teachers", filter=f"email='{teacher['email']}'").json()["users"]
    assert [u["sourcedId"] for u in found] == [teacher["sourcedId"]]
    klass = api.get(f"{V11}/teachers/{teacher['sourcedId']}/classes").json()["classes"][0]
    students = api.get(f"{V11}/classes/{klass['sourcedId']}/students").json()["users"]
    categories = api.get(f"{V11}/categories").json()["categories"]
    term = klass["terms"][0]["sourcedId"]
    period = api.get(f"{V11}/terms/{term}/gradingPeriods").json()["academicSessions"][0]
    line_item = {
        "title": "Essay",
        "assignDate": "2024-10-01T08:00:00Z",
        "dueDate": "2024-10-15T08:00:00Z",
        "class": {"sourcedId": klass["sourcedId"]},
        "category": {"sourcedId": categories[0]["sourcedId"]},
        "gradingPeriod": {"sourcedId": period["sourcedId"]},
        "resultValueMin": 0,
        "resultValueMax": 20,
    }
    assert api.put(f"{V11}/lineItems/sync11-li", {"lineItem": line_item}).status_code == 201
    assert api.put(f"{V11}/lineItems/sync11-li", {"lineItem": dict(line_item, title=LONG_TITLE)}).status_code == 200
    assert api.get(f"{V11}/lineItems/sync11-li").json()["lineItem"]["title"] == LONG_TITLE
    result = {
        "lineItem": {"sourcedId": "sync11-li"},
        "student": {"sourcedId": students[0]["sourcedId"]},
        "scoreStatus": "fully graded",
        "score": 25,
        "scoreDate": "2024-10-16",
    }
    assert api.put(f"{V11}/results/sync11-r", {"result": result}).status_code == 201
    assert api.get(f"{V11}/results/sync11-r").json()["result"]["score"] == 25
    student_results = api.get(f"{V11}/classes/{klass['sourcedId']}/students/{students[0]['sourcedId']}/results")
    assert "sync11-r" in {r["sourcedId"] for r in student_results.json()["results"]}
    assert api.delete(f"{V11}/results/sync11-r").status_code == 204
    assert api.delete(f"{V11}/lineItems/sync11-li").status_code == 204
    assert api.get(f"{V11}/lineItems/sync11-li").status_code == 404


def _line_item(**changes) -> dict:
    base = {
        "title": "Refused",
        "assignDate": "2024-10-01T08:00:00Z",
        "dueDate": "2024-10-08T08:00:00Z",
        "class": {"sourcedId": "class-1-0-0"},
        "school": {"sourcedId": "school-1"},
        "category": {"sourcedId": "cat-homework"},
    }
    return {"lineItem": {**base, **changes}}


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        (_line_item(**{"class": {"sourcedId": "no-such-class"}}), 422, "invaliddata", "no class has sourcedId"),
        (_line_item(dueDate="2024-10-32T08:00:00Z"), 422, "invaliddata", "lineItem.dueDate"),
        (_line_item(resultValueMax="lots"), 422, "invaliddata", "lineItem.resultValueMax"),
        (
            {"lineItem": {k: v for k, v in _line_item()["lineItem"].items() if k != "title"}},
            422,
            "invaliddata",
            "lineItem.title is required",
        ),
        (_line_item(title=None), 422, "invaliddata", "lineItem.title is null"),
        ({"lineItems": {}}, 422, "invaliddata", 'the body must be {"lineItem": {...}}'),
        ("not json at all", 400, "invaliddata", "not JSON"),
    ],
)
def test_refused_writes_change_nothing(writable, body, status, code, says):
    live, _, _ = writable
    api = V12Client(live.url, fetch_token(live.url))
    before = api.get(f"{V12G}/lineItems", limit="1000").json()["lineItems"]
    if isinstance(body, str):
        response = api.http.put(f"{V12G}/lineItems/refused", content=body.encode())
    else:
        response = api.put(f"{V12G}/lineItems/refused", body)
    assert response.status_code == status, response.text
    info = response.json()
    assert info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == code
    assert says in info["imsx_description"]
    assert api.get(f"{V12G}/lineItems/refused").status_code == 404
    assert api.get(f"{V12G}/lineItems", limit="1000").json()["lineItems"] == before


def test_wrong_scope_cannot_write(writable):
    live, registry, _ = writable
    reader = registry.add("reader", ("gradebook.readonly",))
    token = fetch_token(live.url, reader.client.client_id, reader.secret)
    api = V12Client(live.url, token)
    refused = api.put(f"{V12G}/lineItems/no-scope", _line_item())
    assert refused.status_code == 403 and "gradebook.createput" in refused.json()["imsx_description"]
    assert api.delete(f"{V12G}/lineItems/li-class-1-0-0-1").status_code == 403
    assert api.get(f"{V12G}/lineItems/no-scope").status_code == 404
    assert api.get(f"{V12G}/lineItems/li-class-1-0-0-1").status_code == 200


def test_deleting_a_line_item_with_results_is_refused(writable):
    live, _, _ = writable
    api = V12Client(live.url, fetch_token(live.url))
    response = api.delete(f"{V12G}/lineItems/li-class-1-0-0-1")
    assert response.status_code == 422
    assert response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "deletefailure"
    assert api.get(f"{V12G}/lineItems/li-class-1-0-0-1").status_code == 200


def test_delete_unknown_is_404(writable):
    live, _, _ = writable
    api = V12Client(live.url, fetch_token(live.url))
    assert api.delete(f"{V12G}/categories/no-such-category").status_code == 404


def test_create_many_operations(writable, demo_data):
    live, _, _ = writable
    api = V12Client(live.url, fetch_token(live.url))
    item = _line_item()["lineItem"]
    del item["class"], item["school"]
    for path, extra in [
        (f"{V12G}/classes/class-1-0-0/lineItems", {"school": {"sourcedId": "school-1"}}),
        (f"{V12G}/schools/school-1/lineItems", {"class": {"sourcedId": "class-1-0-0"}}),
    ]:
        response = api.http.post(
            path, json={"lineItems": [dict(item, sourcedId="mine-a", **extra), dict(item, sourcedId="mine-b", **extra)]}
        )
        assert response.status_code == 201, response.text
        pairs = response.json()["sourcedIdPairs"]
        assert [p["suppliedSourcedId"] for p in pairs] == ["mine-a", "mine-b"]
        for pair in pairs:
            assert api.get(f"{V12G}/lineItems/{pair['allocatedSourcedId']}").json()["lineItem"]["title"] == "Refused"
    student = next(
        e["user"]["sourcedId"]
        for e in demo_data["enrollment"]
        if e["class"]["sourcedId"] == "class-1-0-0" and e["role"] == "student"
    )
    result = {
        "student": {"sourcedId": student},
        "scoreStatus": "submitted",
        "scoreDate": "2024-10-10",
        "sourcedId": "r-x",
    }
    for path in (
        f"{V12G}/lineItems/li-class-1-0-0-1/results",
        f"{V12G}/classes/class-1-0-0/academicSessions/term-1/results",
    ):
        body = dict(result) if "lineItems/" in path else dict(result, lineItem={"sourcedId": "li-class-1-0-0-1"})
        response = api.http.post(path, json={"results": [body]})
        assert response.status_code == 201, response.text
        allocated = response.json()["sourcedIdPairs"][0]["allocatedSourcedId"]
        assert api.get(f"{V12G}/results/{allocated}").json()["result"]["scoreStatus"] == "submitted"


def test_create_many_is_all_or_nothing(writable):
    live, _, _ = writable
    api = V12Client(live.url, fetch_token(live.url))
    before = api.get(f"{V12G}/classes/class-1-0-0/lineItems", limit="1000").json()["lineItems"]
    item = _line_item()["lineItem"]
    bad = dict(item, sourcedId="bad", category={"sourcedId": "no-such-category"})
    response = api.http.post(
        f"{V12G}/classes/class-1-0-0/lineItems", json={"lineItems": [dict(item, sourcedId="ok"), bad]}
    )
    assert response.status_code == 422 and "[1]" in response.json()["imsx_description"]
    assert api.get(f"{V12G}/classes/class-1-0-0/lineItems", limit="1000").json()["lineItems"] == before
    unknown_parent = api.http.post(
        f"{V12G}/classes/no-such-class/lineItems", json={"lineItems": [dict(item, sourcedId="x")]}
    )
    assert unknown_parent.status_code == 404


def test_org_restricted_client_cannot_write_elsewhere(writable):
    live, registry, _ = writable
    restricted = registry.add("school 2 only", ("gradebook.createput", "gradebook.readonly"), ("school-2",))
    api = V12Client(live.url, fetch_token(live.url, restricted.client.client_id, restricted.secret))
    response = api.put(f"{V12G}/lineItems/elsewhere", _line_item())
    assert response.status_code == 422 and "no class has sourcedId 'class-1-0-0'" in response.json()["imsx_description"]
