"""The provider faults of the quirk catalogue, each seen on the wire over real HTTP: paging that fails,
duplicate and orphaned records, dangling references, foreign envelopes and bodies, error shapes, rate limits,
views refreshed separately. Every test also looks at the strict mock, which must not show the fault."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import replace

import httpx
import pytest
from click.testing import CliRunner

from rosterlab.consumer.auth import OAuth1
from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.churn import delete_record, set_record
from rosterlab.server.cli import profiles as profiles_command
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.profiles import PROFILES, apply_profile
from rosterlab.server.quirks.switches import DESCRIPTIONS, Quirks
from rosterlab.server.quirks.views import last_refresh_moment
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.databases import engine_for
from tests.live import LiveServer, bearer

V1P2 = "/ims/oneroster/rostering/v1p2"
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
V1P1 = "/ims/oneroster/v1p1"


@pytest.fixture(scope="module")
def district():
    return demo_district()


@pytest.fixture
def sis(tmp_path, district):
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(engine, district)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def shared(tmp_path_factory, district):
    """Servers over one demo district, started once per set of switches for the tests that only read."""
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('shared') / 'sis.db'}")
    load(engine, district)
    running: dict[tuple, LiveServer] = {}

    def served(*switches: str, profile: str = "strict") -> contextlib.AbstractContextManager[LiveServer]:
        key = (profile, switches)
        if key not in running:
            running[key] = serve(engine, *switches, profile=profile).__enter__()
        return contextlib.nullcontext(running[key])

    yield served
    for live in running.values():
        live.__exit__(None, None, None)
    engine.dispose()


def serve(sis, *switches: str, profile: str = "strict", clock=None, **settings):
    config = replace(apply_profile(server_config(), profile, switches), **settings)
    ensure_demo_clients(registry_for(config, sis))
    app = create_app(config, engine=sis) if clock is None else create_app(config, engine=sis, clock=clock)
    return LiveServer(app)


def walk(http: httpx.Client, url: str, headers: dict[str, str], limit: int = 20, key: str | None = None) -> list:
    """Every page of a collection by offset, as a naive client reads it: a list of pages."""
    key = key or url.rsplit("/", 1)[1]
    pages, offset = [], 0
    while True:
        page = http.get(url, params={"limit": limit, "offset": offset}, headers=headers)
        assert page.status_code == 200, page.text
        records = page.json()[key]
        if not records or len(pages) > 100:
            return pages
        pages.append(records)
        offset += len(records)


def test_every_new_switch_is_listed_by_rosterlab_profiles_with_where_it_is_seen():
    listing = CliRunner().invoke(profiles_command).output
    for name, (what, seen) in DESCRIPTIONS.items():
        assert name in listing and what in listing and seen
    for profile in PROFILES.values():
        assert f"sources: {profile.sources}" in listing and profile.imitates in listing


def test_switch_values_are_checked():
    assert Quirks().switched(["duplicate_records"]).duplicate_records == "both"
    assert Quirks().switched(["duplicate_records=differing"]).settings() == ["duplicate_records=differing"]
    assert Quirks().switched(["duplicate_records=off"]) == Quirks()
    with pytest.raises(ValueError, match="one of both, identical, differing"):
        Quirks().switched(["duplicate_records=sometimes"])
    with pytest.raises(ValueError, match="takes a number"):
        Quirks().switched(["views_refresh_separately=soon"])
    assert not Quirks(seed=5).active and Quirks(ignore_offset=True).active


@pytest.mark.parametrize("count_headers", [True, False])
def test_ignore_offset_serves_the_first_page_again(shared, count_headers):
    switches = ("ignore_offset",) if count_headers else ("ignore_offset", "no_count_headers")
    with shared(*switches) as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        first = http.get(f"{live.url}{V1P2}/users", params={"limit": 50}, headers=headers)
        later = http.get(f"{live.url}{V1P2}/users", params={"limit": 50, "offset": 100}, headers=headers)
        assert first.json()["users"] == later.json()["users"] and len(first.json()["users"]) == 50
        assert ("X-Total-Count" in later.headers) is count_headers
        if count_headers:
            assert int(later.headers["X-Total-Count"]) == 138
    with shared() as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        first = http.get(f"{live.url}{V1P2}/users", params={"limit": 50}, headers=headers).json()["users"]
        later = http.get(f"{live.url}{V1P2}/users", params={"limit": 50, "offset": 100}, headers=headers)
        assert {u["sourcedId"] for u in first}.isdisjoint(u["sourcedId"] for u in later.json()["users"])


def _duplicates(pages: list[list[dict]]) -> tuple[Counter, set[str], set[str]]:
    served = Counter(record["sourcedId"] for page in pages for record in page)
    within = {sid for page in pages for sid, n in Counter(r["sourcedId"] for r in page).items() if n > 1}
    across = {sid for sid, n in served.items() if n > 1} - within
    return served, within, across


@pytest.mark.parametrize("mode", ["identical", "differing", "both"])
def test_duplicate_records_within_and_across_pages(shared, mode):
    with shared(f"duplicate_records={mode}", "seed=3") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        pages = walk(http, f"{live.url}{V1P2}/enrollments", headers)
        served, within, across = _duplicates(pages)
        twice = {sid for sid, n in served.items() if n > 1}
        assert served.total() == int(
            http.get(f"{live.url}{V1P2}/enrollments", params={"limit": 1}, headers=headers).headers["X-Total-Count"]
        )
        assert len(served) == 402 and within and across, (len(within), len(across))
        copies: dict[str, list[dict]] = {}
        for page in pages:
            for record in page:
                copies.setdefault(record["sourcedId"], []).append(record)
        same = {sid for sid in twice if copies[sid][0] == copies[sid][1]}
        assert same == (twice if mode == "identical" else set() if mode == "differing" else same)
        if mode == "both":
            assert same and same != twice
        users = walk(http, f"{live.url}{V1P2}/users", headers)
        assert sum(len(p) for p in users) > len({u["sourcedId"] for p in users for u in p}) == 138
    with shared(f"duplicate_records={mode}", "seed=3") as live, httpx.Client() as http:
        again = _duplicates(walk(http, f"{live.url}{V1P2}/enrollments", bearer(http, live.url)))[0]
        assert {s for s, n in again.items() if n > 1} == twice  # the seed decides
    with shared(f"duplicate_records={mode}", "seed=4") as live, httpx.Client() as http:
        other = _duplicates(walk(http, f"{live.url}{V1P2}/enrollments", bearer(http, live.url)))[0]
        assert {s for s, n in other.items() if n > 1} != twice
    with shared() as live, httpx.Client() as http:
        strict = _duplicates(walk(http, f"{live.url}{V1P2}/enrollments", bearer(http, live.url)))[0]
        assert set(strict.values()) == {1}


def test_orphan_enrollments_name_users_and_classes_the_collections_leave_out(shared):
    with shared("orphan_enrollments") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        enrollments = [e for page in walk(http, f"{live.url}{V1P2}/enrollments", headers) for e in page]
        users = {u["sourcedId"] for page in walk(http, f"{live.url}{V1P2}/users", headers) for u in page}
        classes = {c["sourcedId"] for page in walk(http, f"{live.url}{V1P2}/classes", headers) for c in page}
        missing_users = {e["user"]["sourcedId"] for e in enrollments} - users
        missing_classes = {e["class"]["sourcedId"] for e in enrollments} - classes
        assert missing_users and missing_classes and len(users) < 138
        students = http.get(f"{live.url}{V1P2}/students", params={"limit": 1000}, headers=headers).json()["users"]
        assert missing_users.isdisjoint(s["sourcedId"] for s in students)
        total = http.get(f"{live.url}{V1P2}/users", params={"limit": 1}, headers=headers).headers["X-Total-Count"]
        assert int(total) == len(users)
    with shared() as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        users = {u["sourcedId"] for page in walk(http, f"{live.url}{V1P2}/users", headers) for u in page}
        assert missing_users <= users


DANGLING = [
    (f"{V1P2}/classes", "classes", "course", f"{V1P2}/courses"),
    (f"{V1P2}/classes", "classes", "terms", f"{V1P2}/academicSessions"),
    (f"{V1P2}/orgs", "orgs", "parent", f"{V1P2}/orgs"),
    (f"{V1P2}/courses", "courses", "org", f"{V1P2}/orgs"),
    (f"{V1P2}/academicSessions", "academicSessions", "parent", f"{V1P2}/academicSessions"),
    (f"{GRADEBOOK}/lineItems", "lineItems", "category", f"{GRADEBOOK}/categories"),
    (f"{V1P1}/classes", "classes", "course", f"{V1P1}/courses"),
]


def _refs(record: dict, field: str) -> list[dict]:
    value = record.get(field)
    return value if isinstance(value, list) else [value] if isinstance(value, dict) else []


@pytest.mark.parametrize(("path", "key", "field", "target"), DANGLING, ids=[f"{k}.{f}" for _, k, f, _ in DANGLING])
def test_dangling_refs_point_at_objects_that_do_not_exist(shared, path, key, field, target):
    with shared("dangling_refs") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        records = [r for page in walk(http, live.url + path, headers, limit=100, key=key) for r in page]
        gone = []
        for record in records:
            for ref in _refs(record, field):
                if http.get(f"{live.url}{target}/{ref['sourcedId']}", headers=headers).status_code == 404:
                    gone.append((record["sourcedId"], ref))
        assert gone, f"no {key}.{field} dangles"
        sourced_id, ref = gone[0]
        single = http.get(f"{live.url}{path}/{sourced_id}", headers=headers).json()
        assert ref in _refs(next(iter(single.values())), field)  # the single read agrees with the collection
        if "href" in ref:
            assert ref["href"].endswith("/" + ref["sourcedId"])
        assert len(gone) < len(records) or len(records) == 1
        if path.startswith(V1P2) and field != "terms":
            named = ref["sourcedId"].removesuffix("-gone")
            listed = http.get(live.url + path, params={"filter": f"{field}.sourcedId='{named}'"}, headers=headers)
            assert sourced_id not in {r["sourcedId"] for r in listed.json()[key]}  # it no longer matches
    with shared() as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        single = http.get(f"{live.url}{path}/{sourced_id}", headers=headers).json()
        for ref in _refs(next(iter(single.values())), field):
            assert http.get(f"{live.url}{target}/{ref['sourcedId']}", headers=headers).status_code == 200


KEYS_AFTER_PATH = [
    ("/schools", "schools"),
    ("/terms", "terms"),
    ("/students", "students"),
    ("/teachers", "teachers"),
    ("/gradingPeriods", "gradingPeriods"),
    ("/schools/school-1", "school"),
    ("/terms/term-1", "term"),
    ("/students/{student}", "student"),
    ("/teachers/{teacher}", "teacher"),
    ("/schools/school-1/classes", "classes"),
    ("/users", "users"),
    ("/classes/class-1-0-0", "class"),
]


@pytest.mark.parametrize("version", [V1P2, V1P1])
def test_wrong_envelope_keys_are_named_after_the_path(shared, district, version):
    student = next(u for u in district["user"] if u["roles"][0]["role"] == "student")["sourcedId"]
    teacher = next(u for u in district["user"] if u["roles"][0]["role"] == "teacher")["sourcedId"]
    paths = [(path.format(student=student, teacher=teacher), key) for path, key in KEYS_AFTER_PATH]
    with shared("wrong_envelope_keys") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        for path, key in paths:
            assert list(http.get(live.url + version + path, headers=headers).json()) == [key], path
    with shared() as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        model_keys = [list(http.get(live.url + version + path, headers=headers).json()) for path, _ in paths]
        assert model_keys == [
            ["orgs"],
            ["academicSessions"],
            ["users"],
            ["users"],
            ["academicSessions"],
            ["org"],
            ["academicSession"],
            ["user"],
            ["user"],
            ["classes"],
            ["users"],
            ["class"],
        ]


LENIENT = [
    {"limit": "abc"},
    {"limit": "-1"},
    {"offset": "x"},
    {"offset": "-5"},
    {"limit": "1e3"},
    {"sort": "1bad"},
    {"sort": "shoeSize"},
    {"orderBy": "sideways"},
]


@pytest.mark.parametrize("params", LENIENT, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
def test_lenient_paging_params_ignore_what_they_cannot_read(shared, params):
    with shared("lenient_paging_params") as live, httpx.Client() as http:
        answer = http.get(f"{live.url}{V1P2}/users", params=params, headers=bearer(http, live.url))
        assert answer.status_code == 200 and len(answer.json()["users"]) == 100
    with shared() as live, httpx.Client() as http:
        assert http.get(f"{live.url}{V1P2}/users", params=params, headers=bearer(http, live.url)).status_code == 400


@pytest.mark.parametrize("bad_filter", ["givenName=", "shoeSize='9'", "givenName~~'x'", "dateLastModified>'soon'"])
def test_lenient_paging_params_answer_a_bad_filter_with_an_empty_list(shared, bad_filter):
    with shared("lenient_paging_params") as live, httpx.Client() as http:
        answer = http.get(f"{live.url}{V1P2}/users", params={"filter": bad_filter}, headers=bearer(http, live.url))
        assert answer.status_code == 200 and answer.json() == {"users": []}
    with shared() as live, httpx.Client() as http:
        answer = http.get(f"{live.url}{V1P2}/users", params={"filter": bad_filter}, headers=bearer(http, live.url))
        assert answer.status_code == 400


def test_relative_hrefs_null_optional_fields_string_periods_and_empty_parents(shared):
    quirks = ("relative_hrefs", "null_optional_fields", "string_periods", "empty_parent")
    with shared(*quirks) as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        classes = http.get(f"{live.url}{V1P1}/classes", headers=headers).json()["classes"]
        assert classes[0]["course"]["href"].startswith("/ims/oneroster/v1p1/courses/")
        assert all(isinstance(c["periods"], str) for c in classes if "periods" in c)
        assert any("," in c["periods"] or c["periods"] for c in classes)
        users = http.get(f"{live.url}{V1P2}/users", headers=headers).json()["users"]
        assert any(value is None for user in users for value in user.values())
        assert all("middleName" in user for user in users)
        selected = http.get(f"{live.url}{V1P2}/users", params={"fields": "sourcedId"}, headers=headers)
        assert all(list(user) == ["sourcedId"] for user in selected.json()["users"])  # a selection stays one
        district = http.get(f"{live.url}{V1P2}/orgs/district-1", headers=headers).json()["org"]
        assert district["parent"] == {}
        year = http.get(f"{live.url}{V1P2}/academicSessions/sy-2025", headers=headers).json()["academicSession"]
        assert year["parent"] == {}
        assert http.get(f"{live.url}{V1P2}/orgs/school-1", headers=headers).json()["org"]["parent"]["sourcedId"]
    with shared() as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        classes = http.get(f"{live.url}{V1P1}/classes", headers=headers).json()["classes"]
        assert classes[0]["course"]["href"].startswith("http://127.0.0.1:")
        assert all(isinstance(c["periods"], list) for c in classes if "periods" in c)
        users = http.get(f"{live.url}{V1P2}/users", headers=headers).json()["users"]
        assert not any(value is None for user in users for value in user.values())
        assert "parent" not in http.get(f"{live.url}{V1P2}/orgs/district-1", headers=headers).json()["org"]


def test_error_body_plain(shared):
    with shared("error_body_plain") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        missing = http.get(f"{live.url}{V1P2}/users/nobody", headers=headers)
        assert missing.status_code == 404 and missing.json() == {"error": "no user has sourcedId 'nobody'"}
        bad = http.get(f"{live.url}{V1P1}/users", params={"limit": "x"}, headers=headers)
        assert bad.status_code == 400 and list(bad.json()) == ["error"] and "limit" in bad.json()["error"]
        anonymous = http.get(f"{live.url}{V1P2}/users")
        assert anonymous.status_code == 401 and list(anonymous.json()) == ["error"]
    with shared() as live, httpx.Client() as http:
        missing = http.get(f"{live.url}{V1P2}/users/nobody", headers=bearer(http, live.url))
        assert missing.json()["imsx_codeMajor"] == "failure"


def test_ed_fi_error_shapes_sort_fields_and_token(shared):
    with shared(profile="ed-fi") as live, httpx.Client() as http:
        moved = http.post(f"{live.url}/oauth/token", json={"grant_type": "client_credentials"})
        assert moved.status_code == 307
        credentials = {"client_id": DEMO_OAUTH2.client_id, "client_secret": DEMO_OAUTH2.secret}
        issued = http.post(moved.headers["Location"], json={**credentials, "grant_type": "client_credentials"})
        assert issued.status_code == 200, issued.text  # Ed-Fi's issuer takes a JSON body
        headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        for params in ({"limit": "abc"}, {"filter": "shoeSize='9'"}, {"fields": "sourcedId,shoeSize"}):
            bad = http.get(f"{live.url}{V1P2}/users", params=params, headers=headers)
            assert bad.status_code == 400, params
            assert bad.json()["imsx_codeMinor"] == "invalid_data" and "imsx_CodeMinor" not in bad.json()
        for answer in (
            http.get(f"{live.url}{V1P2}/users/nobody", headers=headers),
            http.get(f"{live.url}{V1P2}/users"),
        ):
            assert answer.status_code in (401, 404)
            assert answer.json()["imsx_codeMajor"] == "failure"
            assert not {"imsx_codeMinor", "imsx_CodeMinor"} & set(answer.json())
        sorted_ = http.get(f"{live.url}{V1P2}/users", params={"sort": "shoeSize"}, headers=headers)
        assert sorted_.status_code == 200 and "statusInfoSet" not in sorted_.json()
        capped = http.get(f"{live.url}{V1P2}/enrollments", params={"limit": 1000}, headers=headers)
        assert len(capped.json()["enrollments"]) == 402  # all of them: the demo holds fewer than 500
        assert "X-Total-Count" not in capped.headers and "Link" not in capped.headers
        assert capped.headers["RateLimit-Limit"] == "100"


def test_rate_limit_per_client_with_retry_after(sis):
    with serve(sis, "rate_limit=5") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        answers = [http.get(f"{live.url}{V1P2}/orgs", headers=headers) for _ in range(7)]
        assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
        assert answers[0].headers["RateLimit-Limit"] == "5" and answers[4].headers["RateLimit-Remaining"] == "0"
        refused = answers[5]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.headers["content-type"].startswith("text/plain") and "Too many requests" in refused.text
        assert http.get(f"{live.url}{V1P2}/orgs").status_code == 429  # before the token is looked at
        assert bearer(http, live.url)  # the token endpoint is not limited
    with serve(sis) as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        assert {http.get(f"{live.url}{V1P2}/orgs", headers=headers).status_code for _ in range(7)} == {200}


def test_ignore_unknown_sort_alone(shared):
    with shared("ignore_unknown_sort") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        assert http.get(f"{live.url}{V1P2}/users", params={"sort": "shoeSize"}, headers=headers).status_code == 200
        v1p1 = http.get(f"{live.url}{V1P1}/users", params={"sort": "shoeSize"}, headers=headers).json()
        assert "statusInfoSet" not in v1p1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_views_refresh_separately_collections_disagree_for_a_while(tmp_path, district, backend):
    with engine_for(backend, tmp_path) as sis:
        load(sis, district)
        _views_disagree_for_a_while(sis, district)


def _views_disagree_for_a_while(sis, district):
    now = [1_000_000.0]
    period = 100
    student = next(u for u in district["user"] if u["roles"][0]["role"] == "student")["sourcedId"]
    views = serve(sis, f"views_refresh_separately={period}", "seed=2", clock=lambda: now[0])
    with views as live, httpx.Client() as http:
        headers = bearer(http, live.url)

        def seen() -> tuple[str, set[str]]:
            user = http.get(f"{live.url}{V1P2}/users/{student}", headers=headers).json()["user"]["status"]
            params = {"filter": f"user.sourcedId='{student}'"}
            listed = http.get(f"{live.url}{V1P2}/enrollments", params=params, headers=headers)
            return user, {e["status"] for e in listed.json()["enrollments"]}

        assert seen() == ("active", {"active"})
        delete_record(sis, "user", student)
        for enrollment in district["enrollment"]:
            if enrollment["user"]["sourcedId"] == student:
                delete_record(sis, "enrollment", enrollment["sourcedId"])
        assert seen() == ("active", {"active"})  # neither view has been refreshed
        users_at = last_refresh_moment("user", period, 2, now[0]) + period
        enrollments_at = last_refresh_moment("enrollment", period, 2, now[0]) + period
        assert users_at != enrollments_at
        now[0] = min(users_at, enrollments_at) + 0.5
        first = seen()
        assert first in (("tobedeleted", {"active"}), ("active", {"tobedeleted"}))
        assert (first[0] == "tobedeleted") is (users_at < enrollments_at)
        now[0] = max(users_at, enrollments_at) + 0.5
        assert seen() == ("tobedeleted", {"tobedeleted"})


def test_aeries_tells_an_oauth1_client_it_takes_oauth2_only(shared):
    with shared(profile="aeries") as live, httpx.Client() as http:
        request = http.build_request("GET", f"{live.url}{V1P1}/orgs")
        OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret).sign(request, http)
        answer = http.send(request)
        assert answer.status_code == 401
        description = answer.json()["statusInfoSet"][0]["imsx_description"]
        assert "OAuth 2.0" in description and "cookie" not in description


def test_data_faults_together_on_postgresql(tmp_path, district):
    with engine_for("postgresql", tmp_path) as sis:
        load(sis, district)
        switches = ("duplicate_records=differing", "orphan_enrollments", "dangling_refs", "seed=9")
        with serve(sis, *switches) as live, httpx.Client() as http:
            headers = bearer(http, live.url)
            served, within, across = _duplicates(walk(http, f"{live.url}{V1P2}/enrollments", headers))
            users = {u["sourcedId"] for page in walk(http, f"{live.url}{V1P2}/users", headers) for u in page}
            classes = [c for page in walk(http, f"{live.url}{V1P2}/classes", headers) for c in page]
            courses = {c["sourcedId"] for page in walk(http, f"{live.url}{V1P2}/courses", headers) for c in page}
    assert within or across
    assert len(served) == 402 and served.total() > 402
    assert len(users) < 138
    assert any(c["course"]["sourcedId"] not in courses for c in classes)


def test_data_faults_stay_consistent_with_filters_nested_endpoints_and_subsets(shared):
    with shared("dangling_refs", "duplicate_records=differing", "seed=3") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        classes = [c for page in walk(http, f"{live.url}{V1P2}/classes", headers, limit=100) for c in page]
        broken = next(c for c in classes if c["course"]["sourcedId"].endswith("-gone"))
        course = broken["course"]["sourcedId"].removesuffix("-gone")
        nested = http.get(f"{live.url}{V1P2}/courses/{course}/classes", headers=headers).json()["classes"]
        assert broken["sourcedId"] not in {c["sourcedId"] for c in nested}
        users = [u for page in walk(http, f"{live.url}{V1P2}/users", headers, limit=100) for u in page]
        seen: dict[str, dict] = {}
        twin = next(u for u in users if seen.setdefault(u["sourcedId"], u) is not u)
        original = seen[twin["sourcedId"]]
        assert twin != original
        for name in (original["givenName"], twin["givenName"]):
            found = http.get(f"{live.url}{V1P2}/users", params={"filter": f"givenName='{name}'"}, headers=headers)
            copies = [u for u in found.json()["users"] if u["sourcedId"] == twin["sourcedId"]]
            assert len(copies) == 1 and copies[0]["givenName"] == name  # each copy where it matches
        for subset in ("teachers", "students", "schools"):
            key = "orgs" if subset == "schools" else "users"
            pages = walk(http, f"{live.url}{V1P2}/{subset}", headers, limit=10, key=key)
            served = Counter(r["sourcedId"] for page in pages for r in page)
            assert max(served.values()) == 2, subset  # every collection has its copies
    with shared("duplicate_records=identical", "seed=3") as live, httpx.Client() as http:
        pages = walk(http, f"{live.url}{V1P2}/users", bearer(http, live.url), limit=10)
        _, within, across = _duplicates(pages)
        assert within and across  # with small pages too


def test_ed_fi_serves_rostering_reads_only(shared):
    with shared("rate_limit=0", profile="ed-fi") as live, httpx.Client() as http:
        issued = http.post(
            f"{live.url.replace('127.0.0.1', 'localhost')}/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": DEMO_OAUTH2.client_id,
                "client_secret": DEMO_OAUTH2.secret,
            },
        )
        headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        assert http.get(f"{live.url}{V1P2}/orgs", headers=headers).status_code == 200
        for method, path in (
            ("GET", f"{V1P1}/users"),
            ("GET", f"{GRADEBOOK}/lineItems"),
            ("PUT", f"{GRADEBOOK}/categories/cat-e"),
            ("GET", "/ims/oneroster/resources/v1p2/resources"),
        ):
            answer = http.request(method, live.url + path, headers=headers, json={"category": {"title": "x"}})
            assert answer.status_code == 404, path
            body = answer.json()
            info = body["statusInfoSet"][0] if "statusInfoSet" in body else body
            assert info["imsx_codeMajor"] == "failure" and not {"imsx_codeMinor", "imsx_CodeMinor"} & set(info)


def test_string_periods_join_several(sis, district):
    two = dict(district["class"][0], periods=["1", "2"])
    set_record(sis, "class", two)
    with serve(sis, "string_periods") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        for base in (V1P1, V1P2):
            served = http.get(f"{live.url}{base}/classes/{two['sourcedId']}", headers=headers).json()["class"]
            assert served["periods"] == "1, 2"
    with serve(sis) as live, httpx.Client() as http:
        served = http.get(f"{live.url}{V1P2}/classes/{two['sourcedId']}", headers=bearer(http, live.url))
        assert served.json()["class"]["periods"] == ["1", "2"]


@pytest.mark.parametrize(
    ("fields", "kept"),
    [("", None), ("sourcedId,,givenName", {"sourcedId", "givenName"}), ("sourcedId,shoe size", {"sourcedId"})],
)
def test_lenient_paging_params_ignore_fields_they_cannot_read(shared, fields, kept):
    with shared("lenient_paging_params") as live, httpx.Client() as http:
        answer = http.get(f"{live.url}{V1P2}/users", params={"fields": fields}, headers=bearer(http, live.url))
        assert answer.status_code == 200 and "statusInfoSet" not in answer.json()
        keys = set(answer.json()["users"][0])
        assert keys == kept if kept else {"sourcedId", "status", "givenName"} < keys
    with shared() as live, httpx.Client() as http:
        answer = http.get(f"{live.url}{V1P2}/users", params={"fields": fields}, headers=bearer(http, live.url))
        assert answer.status_code == 400


@pytest.mark.parametrize("profile", ["strict", "ed-fi", "infinite-campus", "aeries"])
def test_the_start_up_banner_gives_a_token_command_that_works_with_the_profile(shared, profile):
    import shlex

    from rosterlab.server.cli import _banner

    with shared(profile=profile) as live, httpx.Client() as http:
        host, port = live.url.removeprefix("http://").split(":")
        banner = _banner(host, int(port), apply_profile(server_config(), profile), demo=True)
        words = shlex.split(next(line for line in banner.splitlines() if "token:" in line).split("token:", 1)[1])
        if "-u" in words:
            user, secret = words[words.index("-u") + 1].split(":")
            issued = http.post(words[-1], data={"grant_type": "client_credentials"}, auth=(user, secret))
        else:
            issued = http.post(words[-1])
        assert issued.status_code == 200, (profile, banner)
        assert ("OAuth 1.0a" in banner) is (profile in ("strict", "infinite-campus"))


def test_hard_deletes_make_the_nested_collections_of_a_deleted_parent_unknown(sis):
    delete_record(sis, "class", "class-1-0-0")
    nested = [f"{V1P2}/classes/class-1-0-0/students", f"{GRADEBOOK}/classes/class-1-0-0/lineItems"]
    with serve(sis, "hard_deletes") as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        assert http.get(f"{live.url}{V1P2}/classes/class-1-0-0", headers=headers).status_code == 404
        assert [http.get(live.url + path, headers=headers).status_code for path in nested] == [404, 404]
    with serve(sis) as live, httpx.Client() as http:
        headers = bearer(http, live.url)
        assert [http.get(live.url + path, headers=headers).status_code for path in nested] == [200, 200]
