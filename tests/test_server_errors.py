"""Refusals: malformed paging, filters, fields and sorts, unknown ids and paths, in each version's envelope."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from rosterlab.server.app import create_app
from rosterlab.server.config import UnknownFieldPolicy
from rosterlab.spec.openapi import document
from tests.conftest import server_config

V12 = "/ims/oneroster/rostering/v1p2"
V11 = "/ims/oneroster/v1p1"


@pytest.fixture(scope="module")
def client(authorized_client):
    return authorized_client


def code_minor(response: httpx.Response) -> str:
    body = response.json()
    info = body["statusInfoSet"][0] if "statusInfoSet" in body else body
    assert info["imsx_codeMajor"] == "failure" and info["imsx_severity"] == "error"
    return info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=abc",
        "limit=-1",
        "limit=0",
        "limit=1e3",
        "limit=1.5",
        "limit=",
        "limit=1&limit=2",
        "offset=-1",
        "offset=x",
        "offset=1&offset=1",
        "limit=99999999999",
        "offset=9223372036854775808",
        "orderBy=sideways",
    ],
)
@pytest.mark.parametrize("base", [V12, V11])
def test_malformed_paging_is_400_invaliddata(client, base, query):
    response = client.get(f"{base}/users?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert code_minor(response) == "invaliddata"
    assert ("statusInfoSet" in response.json()) == (base == V11)


def test_limit_is_clamped_to_the_maximum(client):
    response = client.get(f"{V12}/enrollments", params={"limit": "5000"})
    assert response.status_code == 200
    assert len(response.json()["enrollments"]) == min(1000, int(response.headers["X-Total-Count"]))
    assert "limit=1000" in response.headers["Link"]


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("familyName='jones", "invalid_filter_field"),
        ("nosuchfield='x'", "invalid_filter_field"),
        ("familyName='a' and givenName='b'", "invalid_filter_field"),
        ("roles.nosuch='x'", "invalid_filter_field"),
        ("dateLastModified>'yesterday'", "invaliddata"),
        ("enabledUser>'true'", "invaliddata"),
    ],
)
def test_bad_filters(client, filter_text, expected):
    response = client.get(f"{V12}/users", params={"filter": filter_text})
    assert response.status_code == 400
    assert code_minor(response) == expected


@pytest.mark.parametrize("fields", ["", "sourcedId,,givenName", ",", "sourcedId,"])
@pytest.mark.parametrize("base", [V12, V11])
def test_blank_selection_field(client, base, fields):
    response = client.get(f"{base}/users", params={"fields": fields})
    assert response.status_code == 400
    assert code_minor(response) == "invalid_blank_selection_field"


def test_fields_selects_and_accepts_repeats(client):
    one = client.get(f"{V12}/users", params={"fields": "sourcedId,familyName", "limit": "3"}).json()["users"]
    assert all(set(user) == {"sourcedId", "familyName"} for user in one)
    repeated = client.get(f"{V12}/users?fields=sourcedId&fields=familyName&limit=3").json()["users"]
    assert repeated == one


def test_unknown_field_in_1p1_warns_and_returns_everything(client):
    body = client.get(f"{V11}/users", params={"fields": "sourcedId,nonsense", "limit": "1"}).json()
    assert "givenName" in body["users"][0]
    warning = body["statusInfoSet"][0]
    assert warning["imsx_codeMajor"] == "success" and warning["imsx_severity"] == "warning"
    assert warning["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "invalid_selection_field"


def test_unknown_field_in_1p2_returns_everything_silently(client):
    body = client.get(f"{V12}/users", params={"fields": "nonsense", "limit": "1"}).json()
    assert set(body) == {"users"} and "givenName" in body["users"][0]


def test_unknown_field_policy_can_reject(demo_engine):
    config = server_config(authentication=False, unknown_fields_v1p2=UnknownFieldPolicy.REJECT)
    client = TestClient(create_app(config, engine=demo_engine))
    response = client.get(f"{V12}/users", params={"fields": "nonsense"})
    assert response.status_code == 400
    assert code_minor(response) == "invalid_selection_field"


def test_unknown_sort_field(client):
    refused = client.get(f"{V12}/users", params={"sort": "nonsense"})
    assert refused.status_code == 400 and code_minor(refused) == "invaliddata"
    warned = client.get(f"{V11}/users", params={"sort": "nonsense", "limit": "2"}).json()
    codes = [w["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] for w in warned["statusInfoSet"]]
    assert codes == ["invalid_sort_field"]


def test_sorting_by_a_field_both_ways(client):
    up = client.get(f"{V12}/users", params={"sort": "familyName", "limit": "1000"}).json()["users"]
    down = client.get(f"{V12}/users", params={"sort": "familyName", "orderBy": "desc", "limit": "1000"}).json()["users"]
    names = [u["familyName"] for u in up]
    assert names == sorted(names)
    assert [u["familyName"] for u in down] == sorted(names, reverse=True)


@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        (f"{V12}/users/no-such-user", 404, "unknownobject"),
        (f"{V11}/classes/no-such-class/students", 404, "unknownobject"),
        (f"{V12}/schools/district-1", 404, "unknownobject"),
        (f"{V12}/no-such-endpoint", 404, "unknownobject"),
        ("/ims/oneroster/v9/users", 404, "unknownobject"),
        ("/no-such-page", 404, "unknownobject"),
    ],
)
def test_unknown_things_are_404_in_the_envelope(client, path, status, expected):
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert code_minor(response) == expected


def test_method_not_allowed_says_which_are(client):
    response = client.delete(f"{V12}/users")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert code_minor(response) == "invaliddata"


def test_no_error_is_html_or_a_traceback(client):
    for path in (
        f"{V12}/users?filter=%27",
        f"{V12}/users/%00",
        f"{V12}/classes/a%00b/students",
        f"{V12}/users?filter=givenName%3D%27%00%27",
        f"{V12}/users?limit=%FF",
        f"{V11}/users?sort=a.b.c",
    ):
        response = client.get(path)
        assert response.status_code < 500, (path, response.text)
        assert "Traceback" not in response.text and "<html" not in response.text.lower()


@pytest.mark.parametrize(
    "path",
    [
        f"{V12}/users/no-such-user",
        f"{V12}/users?limit=abc",
        f"{V12}/users?filter=nosuch='x'",
        f"{V12}/no-such-endpoint",
        "/ims/oneroster/gradebook/v1p2/lineItems/nope",
        "/ims/oneroster/resources/v1p2/resources/nope",
    ],
)
def test_1p2_errors_validate_against_the_official_schema(client, official_openapi_dir, path):
    from tests.schemas import errors_against_official

    response = client.get(path)
    assert response.status_code >= 400
    name = "oneroster-v1p2-" + (
        "gradebook" if "gradebook" in path else "resources" if "resources/" in path else "rostering"
    )
    assert errors_against_official(document(name), "imsx_StatusInfoDType", response.json()) == []
