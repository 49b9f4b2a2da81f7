"""What a connection asks of a sync: a selection (with its closure), a match key, sinks; and grade write-back.

All against the mock SIS over real HTTP.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from rosterlab.consumer.auth import OAuth1, OAuth2
from rosterlab.consumer.client import ClientSettings, OneRosterClient
from rosterlab.consumer.grades import push_grades, stage
from rosterlab.consumer.matching import MatchKey
from rosterlab.consumer.selection import Selection
from rosterlab.consumer.sources import RestSource
from rosterlab.consumer.store import ROSTER, TABLES, runs
from rosterlab.consumer.sync import full_sync, local_records
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2
from rosterlab.server.churn import delete_record, set_record
from rosterlab.server.store.database import connect
from tests.test_sync_full import provider  # noqa: F401  (the fixture)


def rest(live, version: str = "1.2") -> RestSource:
    if version == "1.1":
        auth = OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, "HMAC-SHA256")
    else:
        auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
    return RestSource(OneRosterClient(live.url, auth, ClientSettings(page_size=100)), version)


# -- selection ----------------------------------------------------------------------------------------


def _id(ref) -> str | None:
    return ref["sourcedId"] if ref else None


def expected_closure(data, schools=(), grades=(), subjects=()) -> dict[str, set[str]]:
    """The closure restated from the documented rules, over the provider's canonical data."""
    courses = {c["sourcedId"]: c for c in data["course"]}

    def fits(school, record_grades, record_subjects):
        return (
            (not schools or school in schools)
            and (not grades or set(grades) & set(record_grades))
            and (not subjects or set(subjects) & set(record_subjects))
        )

    classes = set()
    for c in data["class"]:
        course = courses[c["course"]["sourcedId"]]
        if fits(
            _id(c.get("school")),
            c.get("grades") or course.get("grades") or [],
            c.get("subjects") or course.get("subjects") or [],
        ):
            classes.add(c["sourcedId"])
    enrollments = {e["sourcedId"] for e in data["enrollment"] if e["class"]["sourcedId"] in classes}
    users = {e["user"]["sourcedId"] for e in data["enrollment"] if e["sourcedId"] in enrollments}
    if not subjects:
        for u in data["user"]:
            orgs = {_id(r["org"]) for r in u.get("roles", [])} | {_id(u.get("primaryOrg"))}
            if (
                (schools or grades)
                and (not schools or orgs & set(schools))
                and (not grades or set(grades) & set(u.get("grades") or []))
            ):
                users.add(u["sourcedId"])
    kept_courses = {c["course"]["sourcedId"] for c in data["class"] if c["sourcedId"] in classes}
    kept_courses |= {
        sid for sid, c in courses.items() if fits(_id(c.get("org")), c.get("grades") or [], c.get("subjects") or [])
    }
    orgs = {o["sourcedId"] for o in data["org"]}
    if schools:
        orgs = set(schools) | {
            o["parent"]["sourcedId"] for o in data["org"] if o["sourcedId"] in schools and o.get("parent")
        }
    return {
        "org": orgs,
        "academicSession": {s["sourcedId"] for s in data["academicSession"]},
        "course": kept_courses,
        "class": classes,
        "enrollment": enrollments,
        "user": users,
        "demographics": {d["sourcedId"] for d in data["demographics"]} & users,
    }


@pytest.mark.parametrize(
    "selection",
    [
        {"schools": ("school-2",)},
        {"grades": ("09",)},
        {"subjects": ("Science",)},
        {"schools": ("school-3",), "subjects": ("Art",)},
    ],
    ids=["school", "grade", "subject", "school+subject"],
)
def test_a_selection_yields_exactly_its_closure(tmp_path, provider, selection):  # noqa: F811
    live, _, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    with rest(live).client:
        full_sync(local, "part", rest(live), selection=Selection.of(**selection))
    kept = {entity: set(local_records(local, "part", entity)) for entity in ROSTER}
    assert kept == expected_closure(data, **selection)
    assert 0 < len(kept["class"]) < len(data["class"])
    for enrollment in local_records(local, "part", "enrollment").values():  # nothing points out of the closure
        assert enrollment["class"]["sourcedId"] in kept["class"] and enrollment["user"]["sourcedId"] in kept["user"]


def test_a_class_leaving_the_selection_leaves_the_store(tmp_path, provider):  # noqa: F811
    live, sis, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    selection = Selection.of(schools=("school-1",))
    full_sync(local, "part", rest(live), selection=selection)
    moved = next(c for c in data["class"] if c["school"]["sourcedId"] == "school-1")
    set_record(sis, "class", {**moved, "school": {"sourcedId": "school-2"}})
    result = full_sync(local, "part", rest(live), selection=selection)
    assert result.counts["class"]["deleted"] == 1
    assert moved["sourcedId"] not in local_records(local, "part", "class", active_only=True)


# -- match keys ---------------------------------------------------------------------------------------


def local_ids(engine, name: str) -> dict[str, str]:
    table = TABLES["user"]
    with engine.connect() as db:
        return dict(db.execute(select(table.c.sourced_id, table.c.local_id).where(table.c.connection == name)).all())


def test_a_rekeyed_user_keeps_its_local_id_when_matched_by_email(tmp_path, provider):  # noqa: F811
    live, sis, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    by_email = MatchKey("email")
    full_sync(local, "d", rest(live), match=by_email)
    before = local_ids(local, "d")
    user = data["user"][0]
    delete_record(sis, "user", user["sourcedId"])
    set_record(sis, "user", {**user, "sourcedId": "rekeyed-1"})
    result = full_sync(local, "d", rest(live), match=by_email)
    after = local_ids(local, "d")
    assert after["rekeyed-1"] == before[user["sourcedId"]] and user["sourcedId"] not in after
    assert result.counts["user"]["created"] == 0 and result.counts["user"]["deleted"] == 0


def test_users_without_the_match_key_are_rejected_and_reported(tmp_path, provider):  # noqa: F811
    live, sis, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    user = {k: v for k, v in data["user"][3].items() if k != "email"}
    set_record(sis, "user", user)
    result = full_sync(local, "d", rest(live), match=MatchKey("email"))
    assert result.counts["user"]["rejected"] == 1
    assert result.rejections == [f"user {user['sourcedId']}: no email to match it by"]
    with local.connect() as db:
        assert db.execute(select(runs.c.rejections)).scalar() == result.rejections


def test_a_username_suffix_is_part_of_the_match():
    key = MatchKey("username", "@riverside.org")
    assert key.value({"username": "NRossi1"}) == "nrossi1@riverside.org"
    assert MatchKey("userIds:LDAP").value({"userIds": [{"type": "LDAP", "identifier": "n1"}]}) == "n1"
    with pytest.raises(ValueError, match="unknown match key"):
        MatchKey("shoeSize")


# -- sinks --------------------------------------------------------------------------------------------


class Collecting:
    def __init__(self) -> None:
        self.changes = []

    def receive(self, changes) -> None:
        self.changes.extend(changes)


class Refusing:
    def receive(self, changes) -> None:
        raise RuntimeError("the host application is down")


def test_sinks_receive_the_reconciled_changes_and_can_refuse_them(tmp_path, provider):  # noqa: F811
    live, sis, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    sink = Collecting()
    full_sync(local, "d", rest(live), sinks=(sink,), tenant="tenant-7")
    assert len(sink.changes) == sum(len(data[e]) for e in ROSTER)
    assert {c.action for c in sink.changes} == {"created"} and {c.tenant for c in sink.changes} == {"tenant-7"}
    renamed = {**data["org"][1], "name": "Renamed"}
    set_record(sis, "org", renamed)
    with pytest.raises(RuntimeError):
        full_sync(local, "d", rest(live), sinks=(Refusing(),))
    assert local_records(local, "d", "org")[renamed["sourcedId"]]["name"] != "Renamed"  # nothing applied
    later = Collecting()
    full_sync(local, "d", rest(live), sinks=(later,))
    assert [(c.entity, c.action, c.sourced_id, c.record["name"]) for c in later.changes] == [
        ("org", "updated", renamed["sourcedId"], "Renamed")
    ]
    with local.connect() as db:
        outcomes = [row.outcome for row in db.execute(select(runs).order_by(runs.c.id))]
    assert outcomes == ["applied", "failed", "applied"]


# -- grade write-back ---------------------------------------------------------------------------------


def read_back(live, version: str, path: str) -> dict:
    source = rest(live, version)
    response = source.client.get(path)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_grades_written_back_read_back_equal(tmp_path, provider, version):  # noqa: F811
    live, _, data = provider
    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    student = next(
        e["user"]["sourcedId"]
        for e in data["enrollment"]
        if e["class"]["sourcedId"] == "class-1-0-0" and e["role"] == "student"
    )
    category = {"sourcedId": "cat-quiz", "title": "Quizzes"}
    line_item = {
        "sourcedId": "li-quiz-1",
        "title": "Quiz 1",
        "assignDate": "2024-10-01T08:00:00.000Z",
        "dueDate": "2024-10-02T08:00:00.000Z",
        "class": {"sourcedId": "class-1-0-0"},
        "school": {"sourcedId": "school-1"},  # 1.2 asks for it; 1.1 has no such field
        "category": {"sourcedId": "cat-quiz"},
        "gradingPeriod": {"sourcedId": "gp-1-1"},
        "resultValueMin": 0.0,
        "resultValueMax": 20.0,
    }
    result = {
        "sourcedId": "res-quiz-1",
        "lineItem": {"sourcedId": "li-quiz-1"},
        "student": {"sourcedId": student},
        "score": 17.5,
        "scoreStatus": "fully graded",
        "scoreDate": "2024-10-03",
        "comment": "Well done",
    }
    for entity, record in (("result", result), ("lineItem", line_item), ("category", category)):
        stage(local, "d", entity, record)  # staged in any order; pushed in reference order
    client = rest(live, version).client
    pushed = push_grades(local, "d", client, version)
    assert pushed.ok, pushed.failures
    assert pushed.pushed == {"category": 1, "lineItem": 1, "result": 1}
    root = "/ims/oneroster/v1p1" if version == "1.1" else "/ims/oneroster/gradebook/v1p2"
    for plural, key, sent in (
        ("categories", "category", category),
        ("lineItems", "lineItem", line_item),
        ("results", "result", result),
    ):
        got = read_back(live, version, f"{live.url}{root}/{plural}/{sent['sourcedId']}")[key]
        for name, value in sent.items():
            if version == "1.1" and name == "school":
                continue
            if isinstance(value, dict):
                assert got[name]["sourcedId"] == value["sourcedId"], name
            else:
                assert got[name] == value, name
    assert push_grades(local, "d", client, version).pushed == {}  # nothing pending: nothing sent again


def test_a_put_is_retried_after_a_503_and_a_refused_item_stays_pending(tmp_path):
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/categories/cat-a") and calls.count(request.url.path) == 1:
            return httpx.Response(503, headers={"Retry-After": "0"})
        if request.url.path.endswith("/categories/cat-b"):
            return httpx.Response(400, json={"imsx_codeMajor": "failure", "imsx_description": "title is required"})
        return httpx.Response(201, json={})

    local = connect(f"sqlite:///{tmp_path / 'local.db'}")
    stage(local, "d", "category", {"sourcedId": "cat-a", "title": "A"})
    stage(local, "d", "category", {"sourcedId": "cat-b", "title": ""})
    client = OneRosterClient("http://sis.test", _NoAuth(), sleep=lambda _: None, transport=httpx.MockTransport(handler))
    result = push_grades(local, "d", client, "1.2")
    assert result.pushed == {"category": 1}
    assert result.failures == ["category cat-b: HTTP 400: title is required"]
    assert calls.count("/ims/oneroster/gradebook/v1p2/categories/cat-a") == 2
    assert push_grades(local, "d", client, "1.2").failures  # cat-b is still pending


class _NoAuth:
    def sign(self, request, http):
        return None

    def refresh(self, http):
        return False
