"""Changes over time: after an advance, a dateLastModified delta over REST returns exactly what changed."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import ensure_demo_clients
from rosterlab.server.churn import advance, clock
from rosterlab.server.csv.export import export_store
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.server.store.tables import ENTITY_TABLES
from tests.conftest import fetch_token, server_config
from tests.live import LiveServer

V12 = "/ims/oneroster/rostering/v1p2"
ENDPOINTS = {"user": "users", "enrollment": "enrollments", "class": "classes", "demographics": "demographics"}


def _snapshot(engine) -> dict[str, dict[str, tuple]]:
    with engine.connect() as connection:
        return {
            entity: {
                row.sourced_id: (row.status, row.date_last_modified)
                for row in connection.execute(select(table.c.sourced_id, table.c.status, table.c.date_last_modified))
            }
            for entity, table in ENTITY_TABLES.items()
        }


@pytest.fixture
def churning(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'churn.db'}")
    load(engine, demo_district())
    config = server_config(admin_password="let-me-in")
    ensure_demo_clients(registry_for(config, engine))
    with LiveServer(create_app(config, engine=engine)) as live:
        yield engine, live


def test_a_delta_after_advance_returns_exactly_the_changes(churning):
    engine, live = churning
    with engine.connect() as connection:
        before_clock = clock(connection)
    before = _snapshot(engine)
    summary = advance(engine, 10, seed=4)
    assert summary.changes["withdrawals"] and summary.changes["new students"] and summary.changes["schedule changes"]
    after = _snapshot(engine)
    token = fetch_token(live.url)
    since = before_clock.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    saw_deletion = False
    for entity, path in ENDPOINTS.items():
        changed = {sid for sid, state in after[entity].items() if before[entity].get(sid) != state}
        response = httpx.get(
            f"{live.url}{V12}/{path}",
            params={"filter": f"dateLastModified>'{since}'", "limit": "1000"},
            headers={"Authorization": f"Bearer {token}"},
        )
        body = response.json()[path if path != "demographics" else "demographics"]
        assert {r["sourcedId"] for r in body} == changed, entity
        assert int(response.headers["X-Total-Count"]) == len(changed)
        saw_deletion |= any(r["status"] == "tobedeleted" for r in body)
    assert saw_deletion


def test_the_same_seed_and_store_give_the_same_changes(tmp_path):
    bundles = []
    for name in ("a", "b"):
        engine = connect(f"sqlite:///{tmp_path / name}.db")
        load(engine, demo_district())
        advance(engine, 5, seed=9)
        bundles.append(export_store(engine, "1.2.1", since="2000-01-01"))
    assert bundles[0] == bundles[1]


def test_a_term_rolling_over_ends_its_classes(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'year.db'}")
    load(engine, demo_district())
    summary = advance(engine, 160, seed=1)  # past the end of the second semester (2025-06-15)
    assert summary.changes["classes ended with their term"] > 0


def test_admin_api_needs_its_credentials(churning):
    engine, live = churning
    assert httpx.post(f"{live.url}/admin/advance", json={"days": 1}).status_code == 401
    assert httpx.post(f"{live.url}/admin/advance", json={"days": 1}, auth=("admin", "wrong")).status_code == 401
    done = httpx.post(f"{live.url}/admin/advance", json={"days": 2, "seed": 3}, auth=("admin", "let-me-in"))
    assert done.status_code == 200 and done.json()["changes"]
    school = {"name": "Renamed", "type": "school", "identifier": "X1"}
    changed = httpx.put(f"{live.url}/admin/org/school-1", json=school, auth=("admin", "let-me-in"))
    assert changed.status_code == 200 and changed.json()["dateLastModified"] > done.json()["to"]
    refused = httpx.put(f"{live.url}/admin/org/school-1", json={"name": 5}, auth=("admin", "let-me-in"))
    assert refused.status_code == 422
    gone = httpx.delete(f"{live.url}/admin/resource/res-1", auth=("admin", "let-me-in"))
    assert gone.status_code == 200
    client = TestClient(create_app(server_config(), engine=engine))
    assert client.post("/admin/advance", json={"days": 1}).status_code in (404, 405)  # off without a password


def test_sis_commands(tmp_path):
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    load(connect(database), demo_district())

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "rosterlab", "sis", *args, "--database", database],
            capture_output=True,
            text=True,
            timeout=60,
        )

    advanced = run("advance", "--days", "3")
    assert advanced.returncode == 0 and "withdrawals" in advanced.stdout
    assert run("set", "category", '{"sourcedId": "cat-new", "title": "Labs", "weight": 10}').returncode == 0
    assert run("delete", "category", "cat-new").returncode == 0
    assert run("delete", "category", "no-such").returncode == 2
    bad = run("set", "category", '{"sourcedId": "c", "weight": "ten"}')
    assert bad.returncode == 2 and "title is required" in bad.stderr
