"""The mock SIS stays consistent whoever changes it and however long it runs: bulk bundles complete after any
number of days, deletions that take what depends on them along, nested endpoints that follow active
enrollments, one clock for every writer, CSV imports that REST deltas see and that change nothing when
nothing changed, and school calendars whose sessions nest without overlapping."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from rosterlab.conformance.model import Level
from rosterlab.conformance.runner import run_checks
from rosterlab.conformance.target import Target
from rosterlab.consumer.auth import OAuth2
from rosterlab.consumer.client import OneRosterClient
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import advance, clock, delete_record
from rosterlab.server.csv.export import export_bundle, export_store, store_records
from rosterlab.server.csv.importer import import_bundle
from rosterlab.server.demo import demo_district
from rosterlab.server.generate import DistrictGenerator, DistrictPlan
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.server.store.revision import current_revision
from rosterlab.server.store.tables import ENTITY_TABLES, ROLE_LINK, links
from rosterlab.server.store.write import save
from rosterlab.spec.csv_bundle import read_bundle
from rosterlab.spec.filter.fields import format_instant, parse_instant
from tests.conftest import fetch_token, server_config
from tests.live import LiveServer

V11 = "/ims/oneroster/v1p1"
V12R = "/ims/oneroster/rostering/v1p2"
V12G = "/ims/oneroster/gradebook/v1p2"
ADMIN = ("admin", "let-me-in")
CSV_VERSIONS = ("1.1", "1.2", "1.2.1")
Records = dict[str, list[dict]]


def _generated(users: int = 300) -> Records:
    streams = DistrictGenerator(DistrictPlan.for_users(users, seed=5)).streams()
    return {entity: list(stream) for entity, stream in streams.items()}


DISTRICTS: dict[str, Callable[[], Records]] = {"demo": demo_district, "generated": _generated}


def _store(tmp_path: Path, records: Records | None = None) -> Engine:
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(engine, records or demo_district())
    return engine


def _problems(engine: Engine, version: str) -> list[str]:
    return [str(issue) for issue in read_bundle(export_store(engine, version)).issues]


def _document(engine: Engine, entity: str, sourced_id: str) -> dict:
    table = ENTITY_TABLES[entity]
    with engine.connect() as connection:
        return connection.execute(select(table.c.v1p2).where(table.c.sourced_id == sourced_id)).scalar()


def _documents(engine: Engine, entity: str, column: str, value: str) -> list[dict]:
    table = ENTITY_TABLES[entity]
    with engine.connect() as connection:
        return list(connection.execute(select(table.c.v1p2).where(table.c[column] == value)).scalars())


def _clock(engine: Engine) -> str:
    with engine.connect() as connection:
        return format_instant(clock(connection))


def _tick(stamp: str, milliseconds: int = 1) -> str:
    return format_instant(parse_instant(stamp) + timedelta(milliseconds=milliseconds))


@contextmanager
def _served(engine: Engine) -> Iterator[LiveServer]:
    """The mock SIS over `engine`, with the demo clients and the admin API."""
    config = server_config(admin_password=ADMIN[1])
    ensure_demo_clients(registry_for(config, engine))
    with LiveServer(create_app(config, engine=engine)) as live:
        yield live


@contextmanager
def _api(live: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client of the live mock carrying the demo client's OAuth 2.0 token."""
    headers = {"Authorization": f"Bearer {fetch_token(live.url)}"}
    with httpx.Client(base_url=live.url, headers=headers, timeout=30) as client:
        yield client


def _all(api: httpx.Client, path: str, **params: str) -> list[dict]:
    response = api.get(path, params={"limit": "10000", **params})
    assert response.status_code == 200, response.text
    return next(value for value in response.json().values() if isinstance(value, list))


def _ids(api: httpx.Client, path: str, **params: str) -> set[str]:
    return {record["sourcedId"] for record in _all(api, path, **params)}


def _rosterlab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rosterlab", *args], capture_output=True, text=True, timeout=120, check=False
    )


# -- bulk bundles stay complete -------------------------------------------------------------------------


@pytest.mark.parametrize("district", DISTRICTS)
def test_bulk_exports_validate_after_each_day_of_churn(any_engine, district):
    load(any_engine, DISTRICTS[district]())
    for day in (1, 2, 3):
        summary = advance(any_engine, 1, seed=day)
        assert summary.changes["withdrawals"]
        for version in CSV_VERSIONS:
            assert _problems(any_engine, version) == [], f"after {day} day(s), OneRoster {version} CSV"


def test_the_bulk_bundle_stays_complete_when_terms_end(tmp_path):
    engine = _store(tmp_path)
    summary = advance(engine, 160, seed=1)  # past the end of the second semester (2025-06-15)
    assert summary.changes["classes ended with their term"]
    assert _problems(engine, "1.2.1") == []


def test_sis_publish_after_an_advance_puts_a_valid_bundle_on_the_drop(tmp_path):
    database = f"sqlite:///{tmp_path / 'sis.db'}"
    load(connect(database), demo_district())
    assert _rosterlab("sis", "advance", "--days", "2", "--database", database).returncode == 0
    drop = tmp_path / "drop"
    published = _rosterlab("sis", "publish", "--sftp-root", str(drop), "--database", database)
    assert published.returncode == 0, published.stderr
    bundle = read_bundle((drop / "oneroster" / "oneroster.zip").read_bytes())
    assert [str(issue) for issue in bundle.issues] == []


# -- deletions take what depends on them along -----------------------------------------------------------


def _a_student_with_a_guardian_and_results(records: Records) -> tuple[str, str]:
    """(student, guardian): a student some guardian names, with enrollments, results and demographics."""
    for guardian in records["user"]:
        for agent in guardian.get("agents", []):
            student = agent["sourcedId"]
            if guardian["roles"][0]["role"] == "guardian" and any(
                r["student"]["sourcedId"] == student for r in records["result"]
            ):
                return student, guardian["sourcedId"]
    raise AssertionError("the district has no such student")


def _delete_with_the_admin_api(engine: Engine, tmp_path: Path, records: Records, student: str) -> None:
    with _served(engine) as live:
        assert httpx.delete(f"{live.url}/admin/user/{student}", auth=ADMIN).status_code == 200


def _delete_with_the_command_line(engine: Engine, tmp_path: Path, records: Records, student: str) -> None:
    deleted = _rosterlab("sis", "delete", "user", student, "--database", str(engine.url))
    assert deleted.returncode == 0, deleted.stderr


def _delete_with_a_bulk_import(engine: Engine, tmp_path: Path, records: Records, student: str) -> None:
    users = [
        {**u, "agents": [a for a in u.get("agents", []) if a["sourcedId"] != student]}
        for u in records["user"]
        if u["sourcedId"] != student
    ]
    assert import_bundle(engine, export_bundle({"user": users}, "1.2.1")).applied


def _delete_with_a_delta_import(engine: Engine, tmp_path: Path, records: Records, student: str) -> None:
    user = next(u for u in records["user"] if u["sourcedId"] == student)
    gone = {**user, "status": "tobedeleted", "dateLastModified": "2024-12-01T00:00:00.000Z"}
    assert import_bundle(engine, export_bundle({"user": [gone]}, "1.2.1", since="2000-01-01")).applied


DELETERS = {
    "admin API": _delete_with_the_admin_api,
    "sis delete": _delete_with_the_command_line,
    "bulk CSV import": _delete_with_a_bulk_import,
    "delta CSV import": _delete_with_a_delta_import,
}


@pytest.mark.parametrize("deleter", DELETERS)
def test_deleting_a_user_takes_what_depends_on_it_whoever_deletes(tmp_path, deleter):
    records = demo_district()
    engine = _store(tmp_path, records)
    student, guardian = _a_student_with_a_guardian_and_results(records)
    before = _clock(engine)
    DELETERS[deleter](engine, tmp_path, records, student)
    stamp = _document(engine, "user", student)["dateLastModified"]
    assert _document(engine, "user", student)["status"] == "tobedeleted" and stamp > before
    dependants = (
        _documents(engine, "enrollment", "user_id", student)
        + _documents(engine, "result", "student_id", student)
        + [_document(engine, "demographics", student)]
    )
    assert len(dependants) > 3
    assert {(d["status"], d["dateLastModified"]) for d in dependants} == {("tobedeleted", stamp)}
    still = _document(engine, "user", guardian)
    assert still["status"] == "active" and student not in {a["sourcedId"] for a in still.get("agents", [])}
    for version in CSV_VERSIONS:
        assert _problems(engine, version) == []


def test_deleting_a_line_item_or_a_class_with_the_admin_api_takes_its_gradebook(tmp_path):
    records = demo_district()
    engine = _store(tmp_path, records)
    line_item = records["lineItem"][0]["sourcedId"]
    klass = records["class"][-1]["sourcedId"]
    with _served(engine) as live:
        assert httpx.delete(f"{live.url}/admin/lineItem/{line_item}", auth=ADMIN).status_code == 200
        assert httpx.delete(f"{live.url}/admin/class/{klass}", auth=ADMIN).status_code == 200
    results = _documents(engine, "result", "line_item_id", line_item)
    assert results and {r["status"] for r in results} == {"tobedeleted"}
    of_class = [
        document
        for entity in ("enrollment", "lineItem", "result", "scoreScale")
        for document in _documents(engine, entity, "class_id", klass)
    ]
    assert {d["status"] for d in of_class} == {"tobedeleted"} and len(of_class) > 10
    assert _problems(engine, "1.2.1") == [] and _problems(engine, "1.1") == []


def test_a_gradebook_delete_leaves_no_reference_dangling(tmp_path):
    records = demo_district()
    engine = _store(tmp_path, records)
    scale = records["scoreScale"][0]["sourcedId"]
    naming = [li["sourcedId"] for li in records["lineItem"] if li.get("scoreScale", {}).get("sourcedId") == scale]
    assert naming
    with _served(engine) as live, _api(live) as api:
        assert api.delete(f"{V12G}/scoreScales/{scale}").status_code == 422  # line items are graded on it
        refused = api.delete(f"{V12G}/categories/{records['category'][0]['sourcedId']}")
        assert refused.status_code == 422  # line items still need it
        for line_item in naming:
            assert api.get(f"{V12G}/lineItems/{line_item}").json()["lineItem"]["scoreScale"]["sourcedId"] == scale
    assert _problems(engine, "1.2.1") == []


def test_saving_demographics_leaves_the_users_links_alone(tmp_path):
    records = demo_district()
    engine = _store(tmp_path, records)
    student = next(u["sourcedId"] for u in records["user"] if u.get("resources"))

    def owned() -> set[tuple[str, str]]:
        with engine.connect() as connection:
            query = select(links.c.kind, links.c.target_id).where(links.c.owner_id == student)
            return set(connection.execute(query).all())

    before = owned()
    assert {kind for kind, _ in before} == {ROLE_LINK, "user_resource"}
    with engine.begin() as connection:
        save(connection, "demographics", _document(engine, "demographics", student))
    assert owned() == before


def test_withdrawn_students_keep_their_roles(tmp_path):
    engine = _store(tmp_path)
    advance(engine, 3, seed=2)
    users = ENTITY_TABLES["user"]
    with engine.connect() as connection:
        withdrawn = set(connection.execute(select(users.c.sourced_id).where(users.c.status == "tobedeleted")).scalars())
        holding = set(connection.execute(select(links.c.owner_id).where(links.c.kind == ROLE_LINK)).scalars())
    assert withdrawn and withdrawn <= holding
    with _served(engine) as live, _api(live) as api:
        assert withdrawn <= _ids(api, f"{V12R}/students")  # listed as tobedeleted, so deltas carry them


# -- nested endpoints follow active enrollments -------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_nested_endpoints_list_only_what_active_records_relate(tmp_path, version):
    records = demo_district()
    engine = _store(tmp_path, records)
    first = min(c["sourcedId"] for c in records["class"])  # one of the classes the checker looks at
    dropped = next(e for e in records["enrollment"] if e["class"]["sourcedId"] == first and e["role"] == "student")
    delete_record(engine, "enrollment", dropped["sourcedId"])
    second_item = next(
        li for li in records["lineItem"] if li["class"]["sourcedId"] == first and li["sourcedId"][-1] == "2"
    )
    delete_record(engine, "lineItem", second_item["sourcedId"])
    school = dropped["school"]["sourcedId"]
    ended = [
        c["sourcedId"]
        for c in records["class"]
        if c["school"]["sourcedId"] == school and c["terms"][0]["sourcedId"] == "term-2"
    ]
    for klass in ended:
        delete_record(engine, "class", klass)
    base = V11 if version == "1.1" else V12R
    student = dropped["user"]["sourcedId"]
    with _served(engine) as live, _api(live) as api:
        enrollments = [e for e in _all(api, f"{base}/enrollments") if e["status"] == "active"]
        for klass in sorted({e["class"]["sourcedId"] for e in enrollments} | {first}):
            for role in ("student", "teacher"):
                expected = {
                    e["user"]["sourcedId"]
                    for e in enrollments
                    if e["class"]["sourcedId"] == klass and e["role"] == role
                }
                assert _ids(api, f"{base}/classes/{klass}/{role}s") == expected, (klass, role)
        classes = {e["class"]["sourcedId"] for e in enrollments if e["user"]["sourcedId"] == student}
        assert first not in classes
        assert _ids(api, f"{base}/users/{student}/classes") == classes
        assert _ids(api, f"{base}/students/{student}/classes") == classes
        assert student not in _ids(api, f"{base}/schools/{school}/classes/{first}/students")
        assert _ids(api, f"{base}/schools/{school}/terms") == {"term-1"}
        if version == "1.2":  # categories and score scales of a class or school: 1.2 only
            categories = _ids(api, f"{V12G}/classes/{first}/categories")
            assert categories == {records["lineItem"][0]["category"]["sourcedId"]}
            scales = _ids(api, f"{V12G}/schools/{school}/scoreScales")
            assert scales and not scales & {f"scale-{klass}" for klass in ended}
        auth = OAuth2(f"{live.url}/oauth/token", DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
        with OneRosterClient(live.url, auth) as client:
            report = run_checks(Target(client, version), only=("nested.", "refs."))
    failed = {r.check.id: r.verdict.message for r in report.failures(Level.MUST)}
    assert failed == {}


# -- one clock ------------------------------------------------------------------------------------------------


def test_every_writer_stamps_from_the_sis_clock_and_moves_it_on(tmp_path):
    records = demo_district()
    engine = _store(tmp_path, records)
    database = str(engine.url)
    day = advance(engine, 1, seed=3)
    assert day.end == "2025-01-16T08:00:00.000Z" == _clock(engine)
    stamps = [day.end]

    def moved(stamp: str) -> None:
        assert stamp == _tick(stamps[-1]) == _clock(engine), stamps
        stamps.append(stamp)

    moved(
        _rosterlab(
            "sis", "set", "category", '{"sourcedId": "cat-labs", "title": "Labs"}', "--database", database
        ).stdout.split()[-1]
    )
    moved(_rosterlab("sis", "delete", "category", "cat-labs", "--database", database).stdout.split()[-1])
    with _served(engine) as live, _api(live) as api:
        school = {"name": "Renamed", "type": "school", "identifier": "X1"}
        moved(httpx.put(f"{live.url}/admin/org/school-1", json=school, auth=ADMIN).json()["dateLastModified"])
        moved(httpx.delete(f"{live.url}/admin/resource/res-2", auth=ADMIN).json()["dateLastModified"])
        category = {
            "category": {
                "sourcedId": "cat-quiz",
                "status": "active",
                "dateLastModified": "2030-01-01T00:00:00.000Z",
                "title": "Quizzes",
            }
        }
        assert api.put(f"{V12G}/categories/cat-quiz", json=category).status_code == 201
        moved(api.get(f"{V12G}/categories/cat-quiz").json()["category"]["dateLastModified"])
        line_item = records["lineItem"][0]
        result = {
            "sourcedId": "r1",
            "status": "active",
            "dateLastModified": "2030-01-01T00:00:00.000Z",
            "student": {"sourcedId": "user-5"},
            "scoreStatus": "fully graded",
            "score": 9.0,
            "scoreDate": "2025-01-16",
        }
        posted = api.post(f"{V12G}/lineItems/{line_item['sourcedId']}/results", json={"results": [result]})
        assert posted.status_code == 201, posted.text
        allocated = posted.json()["sourcedIdPairs"][0]["allocatedSourcedId"]
        moved(api.get(f"{V12G}/results/{allocated}").json()["result"]["dateLastModified"])
        assert api.delete(f"{V12G}/categories/cat-quiz").status_code == 204
        moved(_clock(engine))
    renamed = {**records["org"][2], "name": "Renamed again", "dateLastModified": "2024-06-01T00:00:00.000Z"}
    assert import_bundle(engine, export_bundle({"org": [renamed]}, "1.2.1", since="2000-01-01")).updated == {"org": 1}
    moved(_document(engine, "org", renamed["sourcedId"])["dateLastModified"])
    later = advance(engine, 1, seed=4)
    assert later.start == stamps[-1] and later.end == format_instant(parse_instant(stamps[-1]) + timedelta(days=1))


# -- CSV imports and REST deltas ----------------------------------------------------------------------------


def test_a_rest_delta_taken_before_a_csv_delta_import_sees_its_changes(tmp_path):
    records = demo_district()
    engine = _store(tmp_path, records)
    students = [u for u in records["user"] if u["roles"][0]["role"] == "student" and not u.get("agents")]
    renamed = {**students[0], "familyName": "Renamed", "dateLastModified": "2024-12-01T00:00:00.000Z"}
    leaving = {**students[1], "status": "tobedeleted", "dateLastModified": "2024-12-01T00:00:00.000Z"}
    with _served(engine) as live, _api(live) as api:
        mark = max(u["dateLastModified"] for u in _all(api, f"{V12R}/users"))  # a consumer's high-water mark
        bundle = export_bundle({"user": [renamed, leaving]}, "1.2.1", since="2000-01-01")
        assert import_bundle(engine, bundle).applied
        since = {"filter": f"dateLastModified>'{mark}'"}
        users = {u["sourcedId"]: u for u in _all(api, f"{V12R}/users", **since)}
        assert users[renamed["sourcedId"]]["familyName"] == "Renamed"
        assert users[leaving["sourcedId"]]["status"] == "tobedeleted"
        enrollments = {e["sourcedId"]: e["status"] for e in _all(api, f"{V12R}/enrollments", **since)}
        theirs = {e["sourcedId"] for e in records["enrollment"] if e["user"]["sourcedId"] == leaving["sourcedId"]}
        assert theirs and {enrollments.get(sid) for sid in theirs} == {"tobedeleted"}
        assert leaving["sourcedId"] not in _ids(api, f"{V12R}/users", filter="status='active'")


def _snapshot(engine: Engine) -> dict[str, dict[str, tuple]]:
    with engine.connect() as connection:
        return {
            entity: {
                row.sourced_id: (row.status, row.date_last_modified, row.v1p2)
                for row in connection.execute(
                    select(table.c.sourced_id, table.c.status, table.c.date_last_modified, table.c.v1p2)
                )
            }
            for entity, table in ENTITY_TABLES.items()
        }


@pytest.mark.parametrize("district", DISTRICTS)
def test_exporting_then_importing_the_same_bundle_changes_nothing(tmp_path, district):
    engine = _store(tmp_path, DISTRICTS[district]())
    advance(engine, 2, seed=6)
    for version in CSV_VERSIONS:
        before, clock_before = _snapshot(engine), _clock(engine)
        with engine.connect() as connection:
            revision = current_revision(connection)
        report = import_bundle(engine, export_store(engine, version))
        assert report.applied and (report.created, report.updated, report.deleted) == ({}, {}, {}), version
        assert _snapshot(engine) == before and _clock(engine) == clock_before
        with engine.connect() as connection:
            assert current_revision(connection) == revision


def test_an_import_changes_only_what_the_csv_changed(tmp_path):
    engine = _store(tmp_path)
    stored = store_records(engine)
    line_item = stored["lineItem"][0]
    user = next(u for u in stored["user"] if u.get("primaryOrg"))
    changed = {
        **stored,
        "lineItem": [{**line_item, "title": "Renamed"}, *stored["lineItem"][1:]],
    }
    report = import_bundle(engine, export_bundle(changed, "1.2.1"))
    assert report.updated == {"lineItem": 1}
    after = _document(engine, "lineItem", line_item["sourcedId"])
    assert after["title"] == "Renamed" and after["dateLastModified"] > line_item["dateLastModified"]
    for kept in ("assignDate", "dueDate", "gradingPeriod", "academicSession"):  # finer than, or beyond, the CSV
        assert after[kept] == line_item[kept], kept
    stored = store_records(engine)
    users = [{**u, "email": "new@example.org"} if u["sourcedId"] == user["sourcedId"] else u for u in stored["user"]]
    report = import_bundle(engine, export_bundle({**stored, "user": users}, "1.1"))
    assert report.updated == {"user": 1}
    after = _document(engine, "user", user["sourcedId"])
    assert after["email"] == "new@example.org" and after["primaryOrg"] == user["primaryOrg"]


# -- school calendars ----------------------------------------------------------------------------------------


def _days(session: dict) -> tuple[date, date]:
    return date.fromisoformat(session["startDate"]), date.fromisoformat(session["endDate"])


def _within(inner: tuple[date, date], outer: tuple[date, date]) -> bool:
    return outer[0] <= inner[0] <= inner[1] <= outer[1]


@pytest.mark.parametrize("district", DISTRICTS)
def test_sessions_nest_in_their_parents_and_do_not_overlap(district):
    records = _generated(3000) if district == "generated" else demo_district()
    sessions = {s["sourcedId"]: s for s in records["academicSession"]}
    siblings: dict[tuple[str, str], list[tuple[date, date]]] = {}
    for session in sessions.values():
        parent = session.get("parent")
        if parent:
            assert _within(_days(session), _days(sessions[parent["sourcedId"]])), session["sourcedId"]
        key = (parent["sourcedId"] if parent else "", session["type"])
        siblings.setdefault(key, []).append(_days(session))
    assert {t for _, t in siblings} == {"schoolYear", "term", "gradingPeriod"}
    for spans in siblings.values():
        spans.sort()
        for before, after in pairwise(spans):
            assert before[1] < after[0], spans
    for klass in records["class"]:
        assert {sessions[t["sourcedId"]]["type"] for t in klass["terms"]} <= {"term", "schoolYear"}
    for line_item in records["lineItem"]:
        span = (date.fromisoformat(line_item["assignDate"][:10]), date.fromisoformat(line_item["dueDate"][:10]))
        for field in ("gradingPeriod", "academicSession"):
            assert _within(span, _days(sessions[line_item[field]["sourcedId"]])), (line_item["sourcedId"], field)
