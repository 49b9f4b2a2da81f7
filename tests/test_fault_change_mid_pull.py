"""The data set changing mid-pull, over real HTTP: a user who arrives (`change_mid_pull=1`), and a materialised
view refreshed while a client pages it (`change_mid_pull=2`)."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.faults import DESCRIPTIONS, Faults
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.server.store.tables import ENTITY_TABLES
from tests.conftest import server_config
from tests.live import LiveServer, bearer

USERS = "/ims/oneroster/rostering/v1p2/users"
PAGE = 20


def district(path):
    engine = connect(f"sqlite:///{path}")
    load(engine, demo_district())
    return engine


@pytest.fixture
def sis(tmp_path):
    return district(tmp_path / "sis.db")


def statuses(engine, entity: str = "user") -> dict[str, str]:
    table = ENTITY_TABLES[entity]
    with engine.connect() as connection:
        return dict(connection.execute(select(table.c.sourced_id, table.c.status)).all())


def referencing(engine, user_id: str) -> dict[str, list[str]]:
    """The rows that reference a user, by entity, with their status."""
    found = {}
    for entity, column in (("enrollment", "user_id"), ("result", "student_id"), ("assessmentResult", "student_id")):
        table = ENTITY_TABLES[entity]
        with engine.connect() as connection:
            found[entity] = list(connection.execute(select(table.c.status).where(table.c[column] == user_id)).scalars())
    found["demographics"] = [s for i, s in statuses(engine, "demographics").items() if i == user_id]
    return found


def pull(engine, faults: str, then=None):
    """Page the users by offset with limit 20 as a plain client does: (users by sourcedId, the responses' count
    headers, what `then(http, url, headers)` returns)."""
    config = replace(server_config(), faults=Faults.parse(faults))
    ensure_demo_clients(registry_for(config, engine))
    users: dict[str, dict] = {}
    counted = []
    with LiveServer(create_app(config, engine=engine)) as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        offset = 0
        while True:
            page = http.get(live.url + USERS, params={"limit": PAGE, "offset": offset}, headers=headers)
            assert page.status_code == 200, page.text
            counted.append((page.headers.get("X-Total-Count"), page.headers.get("Link")))
            got = page.json()["users"]
            users.update((u["sourcedId"], u) for u in got)
            if len(got) < PAGE:
                break
            offset += PAGE
        after = then(http, live.url, headers) if then else None
    return users, counted, after


def test_a_view_refresh_mid_pull_skips_a_user_and_hides_a_deletion(sis, tmp_path):
    before = statuses(sis)
    assert set(before.values()) == {"active"}
    skipped_place = sorted(before)[PAGE]  # the user the second page would have begun with

    def check(http, url, headers):
        return {
            sourced_id: http.get(f"{url}{USERS}/{sourced_id}", headers=headers).status_code
            for sourced_id in sorted(before)
        }

    users, counted, answers = pull(sis, "seed=7,change_mid_pull=2", check)
    after = statuses(sis)

    assert counted and all(c == (None, None) for c in counted)  # no page told the total, nor linked the next

    missing = set(after) - set(users)
    assert missing == {skipped_place}  # plain offset paging skipped a user who is still there
    assert answers[skipped_place] == 200 and after[skipped_place] == "active"

    (gone,) = set(before) - set(after)  # hard-deleted, with every row that referenced it
    assert gone < skipped_place and users[gone]["status"] == "active" and answers[gone] == 404
    assert all(not rows for rows in referencing(sis, gone).values())
    assert any(referencing(district(tmp_path / "fresh.db"), gone).values())  # it had some

    (retired,) = [i for i, u in users.items() if u["status"] == "active" and after.get(i) == "tobedeleted"]
    assert retired < skipped_place and answers[retired] == 200
    rows = referencing(sis, retired)
    assert rows["enrollment"] and set(rows["enrollment"]) == {"tobedeleted"}
    assert set(rows["demographics"]) <= {"tobedeleted"}
    assert {i for i, s in after.items() if s != "active"} == {retired}  # one refresh, though six pages had offsets


def test_the_seed_picks_the_same_users_on_a_fresh_server(tmp_path):
    def picked(name: str, seed: int) -> tuple[str, str, str]:
        engine = district(tmp_path / name)
        before = statuses(engine)
        users, _, _ = pull(engine, f"seed={seed},change_mid_pull=2")
        after = statuses(engine)
        (gone,) = set(before) - set(after)
        (retired,) = [i for i, s in after.items() if s == "tobedeleted"]
        (missing,) = set(after) - set(users)
        return gone, retired, missing

    first = picked("a.db", 7)
    assert picked("b.db", 7) == first
    assert {picked(f"seed{seed}.db", seed)[:2] for seed in (1, 2, 3)} - {first[:2]}  # other seeds, other users


def test_a_user_arriving_mid_pull_is_unchanged(sis):
    before = statuses(sis)
    users, counted, _ = pull(sis, "seed=7,change_mid_pull=1")
    after = statuses(sis)
    assert set(after) - set(before) == {"late-arrival"} and set(after.values()) == {"active"}
    assert all(total is not None for total, _ in counted)
    assert int(counted[0][0]) == len(before) and int(counted[-1][0]) == len(after)
    assert set(before) <= set(users)


def test_change_mid_pull_is_described_and_takes_a_known_variant():
    assert set(DESCRIPTIONS) == set(Faults.__dataclass_fields__)
    assert "1:" in DESCRIPTIONS["change_mid_pull"] and "2:" in DESCRIPTIONS["change_mid_pull"]
    assert Faults.parse("change_mid_pull=2").change_mid_pull == 2
    with pytest.raises(ValueError, match="change_mid_pull takes 0, 1 or 2"):
        Faults.parse("change_mid_pull=3")
