"""Paging: for any data size, limit, filter and sort, walking the pages by Link and by offset yields every
record exactly once, in order, and as many as X-Total-Count says."""

from __future__ import annotations

import re
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rosterlab.server.app import create_app
from rosterlab.server.churn import set_record
from rosterlab.server.store import page_index
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.databases import fresh_postgres_database

LINK = re.compile(r'<([^>]*)>; rel="(\w+)"')
BASE = "/ims/oneroster/rostering/v1p2"


@pytest.fixture(
    scope="module",
    params=[("sqlite", "offset"), ("sqlite", "key index"), ("postgresql", "key index")],
    ids=lambda p: f"{p[0]}, {p[1]}",
)
def paging(request, tmp_path_factory):
    """A store and a client; "key index" serves every page from the ordered keys kept per revision, so each
    `load` (a write) must be seen by the next page at once."""
    database, path = request.param
    deep_offset = page_index.DEEP_OFFSET
    with ExitStack() as stack:
        if database == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('paging') / 'store.db'}"
        else:
            url = stack.enter_context(fresh_postgres_database())
        engine = connect(url)
        stack.callback(engine.dispose)
        page_index.DEEP_OFFSET = 0 if path == "key index" else deep_offset
        stack.callback(setattr, page_index, "DEEP_OFFSET", deep_offset)
        client = TestClient(create_app(server_config(max_limit=50, authentication=False), engine=engine))
        yield engine, client


def _links(response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers["Link"])}


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _user(index: int, family: str, status: str) -> dict:
    return {
        "sourcedId": f"u{index:03d}",
        "status": status,
        "dateLastModified": "2025-01-01T00:00:00.000Z",
        "enabledUser": True,
        "givenName": "G",
        "familyName": family,
        "roles": [{"roleType": "primary", "role": "student", "org": {"sourcedId": "s1"}}],
    }


@given(
    families=st.lists(st.sampled_from(["Ng", "Öz", "ng", "Ba", "O'Neil"]), max_size=90),
    statuses=st.lists(st.sampled_from(["active", "tobedeleted"]), min_size=90, max_size=90),
    limit=st.integers(1, 70),
    sort=st.sampled_from([None, "familyName", "sourcedId"]),
    descending=st.booleans(),
    filtered=st.booleans(),
)
@settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_pages_cover_every_record_once_in_order(paging, families, statuses, limit, sort, descending, filtered):
    engine, client = paging
    users = [_user(i, family, statuses[i]) for i, family in enumerate(families)]
    load(engine, {"user": users})
    params = {"limit": str(limit)}
    if filtered:
        params["filter"] = "status='active'"
    if sort:
        params["sort"] = sort
        params["orderBy"] = "desc" if descending else "asc"
    expected = [u for u in users if not filtered or u["status"] == "active"]
    expected.sort(key=lambda u: u["sourcedId"])
    if sort:
        expected.sort(key=lambda u: u[sort], reverse=descending)  # stable: ties stay in sourcedId order
    expected_ids = [u["sourcedId"] for u in expected]
    effective = min(limit, 50)

    by_link, url, pages = [], f"{BASE}/users", 0
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200
        assert int(response.headers["X-Total-Count"]) == len(expected)
        batch = [u["sourcedId"] for u in response.json()["users"]]
        assert len(batch) <= effective
        by_link += batch
        pages += 1
        links = _links(response)
        assert {"first", "last"} <= set(links)
        if "next" not in links:
            break
        response = client.get(_relative(links["next"]))
    assert by_link == expected_ids
    assert pages == max(1, -(-len(expected) // effective))

    by_offset, offset = [], 0
    while True:
        page = client.get(f"{BASE}/users", params={**params, "offset": str(offset)}).json()["users"]
        if not page:
            break
        by_offset += [u["sourcedId"] for u in page]
        offset += len(page)
    assert by_offset == expected_ids

    last = client.get(_relative(_links(client.get(f"{BASE}/users", params=params))["last"])).json()["users"]
    assert [u["sourcedId"] for u in last] == expected_ids[len(expected_ids) - len(last) :] or not expected_ids


def test_prev_link_steps_back(paging):
    engine, client = paging
    load(engine, {"user": [_user(i, "X", "active") for i in range(10)]})
    links = _links(client.get(f"{BASE}/users", params={"limit": "3", "offset": "6"}))
    assert "offset=3" in links["prev"] and "offset=9" in links["next"] and "offset=9" in links["last"]
    assert "prev" not in _links(client.get(f"{BASE}/users", params={"limit": "3"}))


def test_link_encodes_query_values(paging):
    engine, client = paging
    load(engine, {"user": [_user(i, "O'Neil", "active") for i in range(3)]})
    response = client.get(f"{BASE}/users", params={"limit": "1", "filter": "familyName='O''Neil' AND status='active'"})
    nxt = _links(response)["next"]
    assert "filter=familyName%3D%27O%27%27Neil%27%20AND%20status%3D%27active%27" in nxt
    assert client.get(_relative(nxt)).json()["users"][0]["sourcedId"] == "u001"


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_write_through_another_engine_is_seen_by_the_next_page(tmp_path, monkeypatch, database):
    """As when `rosterlab sis set` or a second worker writes: the revision moves, and the kept keys go stale."""
    monkeypatch.setattr(page_index, "DEEP_OFFSET", 0)
    with ExitStack() as stack:
        url = (
            f"sqlite:///{tmp_path / 's.db'}" if database == "sqlite" else stack.enter_context(fresh_postgres_database())
        )
        served, other = connect(url), connect(url)
        stack.callback(served.dispose)
        stack.callback(other.dispose)
        load(served, {"user": [_user(i, "X", "active") for i in range(30)]})
        client = TestClient(create_app(server_config(authentication=False), engine=served))
        params = {"limit": "10", "offset": "20"}
        before = client.get(f"{BASE}/users", params=params)
        assert [u["sourcedId"] for u in before.json()["users"]] == [f"u{i:03d}" for i in range(20, 30)]
        set_record(other, "user", {**_user(25, "Y", "active"), "sourcedId": "u025a"})
        after = client.get(f"{BASE}/users", params=params)
    assert after.headers["X-Total-Count"] == "31"
    assert [u["sourcedId"] for u in after.json()["users"]][5:7] == ["u025", "u025a"]
