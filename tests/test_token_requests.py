"""Token requests over real HTTP: each refusal names its RFC 6749 5.2 error, and the lenient token quirks."""

from __future__ import annotations

import base64
import logging
from contextlib import ExitStack
from dataclasses import replace

import httpx
import pytest

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, DEMO_SCHOOL, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.quirks.switches import Quirks
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.live import LiveServer

USERS_1P2 = "/ims/oneroster/rostering/v1p2/users"
BASIC = (DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)
CREDENTIALS = {"client_id": DEMO_OAUTH2.client_id, "client_secret": DEMO_OAUTH2.secret}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
CLIENT_CREDENTIALS = {"grant_type": "client_credentials"}
JSON_BODY = ("token_json_body",)
STRICT = ()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A function giving the URL of a mock SIS with these quirk switches (and settings), one server each."""
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('token') / 'sis.db'}")
    load(engine, demo_district())
    servers: dict[tuple, str] = {}
    with ExitStack() as stack:

        def url(switches: tuple[str, ...] = STRICT, **settings: bool) -> str:
            key = (switches, tuple(sorted(settings.items())))
            if key not in servers:
                config = replace(server_config(**settings), quirks=Quirks().switched(list(switches)))
                ensure_demo_clients(registry_for(config, engine))
                servers[key] = stack.enter_context(LiveServer(create_app(config, engine=engine))).url
            return servers[key]

        yield url


@pytest.fixture
def quiet_log(caplog):
    """The log of the test: the refusals at INFO; after it, no error and no traceback may be there."""
    caplog.set_level(logging.INFO, logger="rosterlab.server.auth")
    yield caplog
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not failures, [r.getMessage() for r in failures]


def basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


# (case, quirk switches, request, status, error, a part of the error_description)
REFUSALS = [
    # a body that cannot be read
    ("no content type", STRICT, dict(content=b"grant_type=client_credentials", auth=BASIC), 400,
     "invalid_request", "Content-Type"),
    ("text/plain", STRICT, dict(content=b"grant_type=client_credentials", headers={"Content-Type": "text/plain"},
     auth=BASIC), 400, "invalid_request", "text/plain"),
    ("multipart", STRICT, dict(data=CLIENT_CREDENTIALS, files={"f": ("f", b"x")}, auth=BASIC), 400,
     "invalid_request", "multipart/form-data"),
    ("form, bad escape", STRICT, dict(content=b"grant_type=client_credentials&scope=%zz", headers=FORM,
     auth=BASIC), 400, "invalid_request", "malformed form body"),
    ("form, not UTF-8", STRICT, dict(content=b"grant_type=client_credentials&scope=%FF", headers=FORM,
     auth=BASIC), 400, "invalid_request", "malformed form body"),
    ("form, raw byte not UTF-8", STRICT, dict(content=b"grant_type=client_credentials&scope=\xff", headers=FORM,
     auth=BASIC), 400, "invalid_request", "malformed form body"),
    ("form, field without =", STRICT, dict(content=b"grant_type", headers=FORM, auth=BASIC), 400,
     "invalid_request", "malformed form body"),
    ("JSON when not accepted", STRICT, dict(json={**CLIENT_CREDENTIALS, **CREDENTIALS}), 400,
     "invalid_request", "JSON body is not accepted"),
    ("JSON, malformed", JSON_BODY, dict(content=b'{"grant_type": ', headers=JSON, auth=BASIC), 400,
     "invalid_request", "malformed JSON"),
    ("JSON, not UTF-8", JSON_BODY, dict(content=b'{"grant_type": "\xff"}', headers=JSON, auth=BASIC), 400,
     "invalid_request", "malformed JSON"),
    ("JSON, empty", JSON_BODY, dict(content=b"", headers=JSON, auth=BASIC), 400, "invalid_request",
     "malformed JSON"),
    ("JSON, a list", JSON_BODY, dict(json=[CLIENT_CREDENTIALS], auth=BASIC), 400, "invalid_request",
     "must be an object"),
    ("JSON, a string", JSON_BODY, dict(json="client_credentials", auth=BASIC), 400, "invalid_request",
     "must be an object"),
    ("JSON, a number value", JSON_BODY, dict(json={**CLIENT_CREDENTIALS, "scope": 1}, auth=BASIC), 400,
     "invalid_request", "scope must be a string"),
    ("JSON, an object value", JSON_BODY, dict(json={"grant_type": {"type": "client_credentials"}}, auth=BASIC),
     400, "invalid_request", "grant_type must be a string"),
    # grant_type
    ("no grant_type", STRICT, dict(data={}, auth=BASIC), 400, "invalid_request", "grant_type is missing"),
    ("no body at all", STRICT, dict(auth=BASIC), 400, "invalid_request", "grant_type is missing"),
    ("empty grant_type", STRICT, dict(data={"grant_type": ""}, auth=BASIC), 400, "invalid_request",
     "grant_type is missing"),
    ("grant_type only in the query", STRICT, dict(params=CLIENT_CREDENTIALS, auth=BASIC), 400, "invalid_request",
     "query string is not read"),
    ("unknown grant_type", STRICT, dict(data={"grant_type": "magic"}, auth=BASIC), 400, "unsupported_grant_type",
     "magic is not supported"),
    ("authorization_code", STRICT, dict(data={"grant_type": "authorization_code", "code": "x"}, auth=BASIC), 400,
     "unsupported_grant_type", "not supported"),
    # a parameter given twice
    ("grant_type twice", STRICT, dict(content=b"grant_type=client_credentials&grant_type=client_credentials",
     headers=FORM, auth=BASIC), 400, "invalid_request", "grant_type given more than once"),
    ("scope twice", STRICT, dict(content=b"grant_type=client_credentials&scope=a&scope=b", headers=FORM,
     auth=BASIC), 400, "invalid_request", "scope given more than once"),
    ("client_id twice, once empty", STRICT, dict(content=b"grant_type=client_credentials&client_id=&client_id=x",
     headers=FORM), 400, "invalid_request", "client_id given more than once"),
    ("JSON key twice", JSON_BODY, dict(content=b'{"grant_type": "client_credentials", "grant_type": "password"}',
     headers=JSON, auth=BASIC), 400, "invalid_request", "grant_type given more than once"),
    # client authentication
    ("wrong secret, Basic", STRICT, dict(data=CLIENT_CREDENTIALS, auth=(DEMO_OAUTH2.client_id, "wrong")), 401,
     "invalid_client", ""),
    ("unknown client, Basic", STRICT, dict(data=CLIENT_CREDENTIALS, auth=("nobody", "wrong")), 401,
     "invalid_client", ""),
    ("Basic not base64", STRICT, dict(data=CLIENT_CREDENTIALS, headers={"Authorization": "Basic !!!"}), 401,
     "invalid_client", "malformed Basic"),
    ("Basic not UTF-8", STRICT, dict(data=CLIENT_CREDENTIALS, headers=basic(b"\xff:\xfe")), 401,
     "invalid_client", "malformed Basic"),
    ("wrong secret, form", STRICT, dict(data={**CLIENT_CREDENTIALS, **CREDENTIALS, "client_secret": "wrong"}), 401,
     "invalid_client", ""),
    ("unknown client, form", STRICT, dict(data={**CLIENT_CREDENTIALS, "client_id": "nobody", "client_secret": "x"}),
     401, "invalid_client", ""),
    ("no credentials", STRICT, dict(data=CLIENT_CREDENTIALS), 401, "invalid_client", ""),
    # grants and scopes
    ("password grant, client without users", STRICT, dict(data={"grant_type": "password", "username": "u",
     "password": "p"}, auth=(DEMO_SCHOOL.client_id, DEMO_SCHOOL.secret)), 400, "unauthorized_client", "password"),
    ("unknown scope", STRICT, dict(data={**CLIENT_CREDENTIALS, "scope": "teleport"}, auth=BASIC), 400,
     "invalid_scope", "teleport"),
    ("non-ASCII scope", STRICT, dict(data={**CLIENT_CREDENTIALS, "scope": "r\u00f4ster"}, auth=BASIC), 400,
     "invalid_scope", "unknown scope"),
    ("a scope URI of another host", STRICT, dict(data={**CLIENT_CREDENTIALS,
     "scope": "https://evil.example/scope/roster.readonly"}, auth=BASIC), 400, "invalid_scope", "unknown scope"),
    ("a 1.2-only scope under 1.1", STRICT, dict(data={**CLIENT_CREDENTIALS,
     "scope": "https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.createpost"}, auth=BASIC), 400,
     "invalid_scope", "unknown scope"),
    ("credentials in Basic and the body", STRICT, dict(data={**CLIENT_CREDENTIALS, **CREDENTIALS}, auth=BASIC),
     400, "invalid_request", ""),
    ("scope with a quote", STRICT, dict(data={**CLIENT_CREDENTIALS, "scope": 'a"b\\c'}, auth=BASIC), 400,
     "invalid_scope", "unknown scope"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("switches", "request_", "status", "error", "description"),
    [pytest.param(*case[1:], id=case[0]) for case in REFUSALS],
)
def test_a_refused_token_request_names_its_error(served, quiet_log, switches, request_, status, error, description):
    response = httpx.post(f"{served(switches)}/oauth/token", **request_)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert description in body.get("error_description", "")
    assert response.headers["Cache-Control"] == "no-store"
    if status == 401:  # RFC 6749 5.2: a failed client authentication names the scheme to use
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert DEMO_OAUTH2.secret not in response.text
    assert f"token refused: {error}" in quiet_log.text


def _users(url: str, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, response.text
    bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return httpx.get(url + USERS_1P2, params={"limit": 5}, headers=bearer)


# (quirk switch, the ServerConfig field turning on the same leniency, the lenient request, strict refusal)
LENIENT = [
    ("token_json_body", "token_json_body", dict(json={**CLIENT_CREDENTIALS, **CREDENTIALS}),
     "JSON body is not accepted"),
    ("token_json_body", "token_json_body", dict(json=CLIENT_CREDENTIALS, auth=BASIC), "JSON body is not accepted"),
    ("token_without_grant_type", "token_missing_grant_type", dict(auth=BASIC), "grant_type is missing"),
    ("token_without_grant_type", "token_missing_grant_type", dict(data=CREDENTIALS), "grant_type is missing"),
    ("token_without_grant_type", "token_missing_grant_type", dict(data={"grant_type": ""}, auth=BASIC),
     "grant_type is missing"),
]  # fmt: skip


@pytest.mark.parametrize(("switch", "field", "request_", "refusal"), LENIENT)
def test_a_lenient_token_quirk_issues_a_token_that_reads_users(served, quiet_log, switch, field, request_, refusal):
    for url in (served((switch,)), served(**{field: True})):  # the quirk switch, or the profile's setting
        response = _users(url, httpx.post(f"{url}/oauth/token", **request_))
        assert response.status_code == 200 and response.json()["users"]
    strict = httpx.post(f"{served()}/oauth/token", **request_)
    assert strict.status_code == 400, strict.text
    assert strict.json()["error"] == "invalid_request" and refusal in strict.json()["error_description"]


def test_both_quirks_take_a_json_body_without_grant_type(served, quiet_log):
    url = served(("token_json_body", "token_without_grant_type"))
    assert _users(url, httpx.post(f"{url}/oauth/token", json=CREDENTIALS)).status_code == 200
    for switches in ((), ("token_json_body",), ("token_without_grant_type",)):
        refused = httpx.post(f"{served(switches)}/oauth/token", json=CREDENTIALS)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"


def test_a_lenient_quirk_still_refuses_what_it_does_not_excuse(served, quiet_log):
    url = served(("token_json_body", "token_without_grant_type"))
    wrong = httpx.post(f"{url}/oauth/token", json={**CREDENTIALS, "client_secret": "wrong"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unknown = httpx.post(f"{url}/oauth/token", json={**CREDENTIALS, "grant_type": "magic"})
    assert unknown.status_code == 400 and unknown.json()["error"] == "unsupported_grant_type"
    no_value = httpx.post(f"{url}/oauth/token", json={**CREDENTIALS, "grant_type": None})
    assert _users(url, no_value).status_code == 200  # null is no value: client credentials are meant
    form = httpx.post(f"{url}/oauth/token", data=CLIENT_CREDENTIALS, auth=BASIC)
    assert _users(url, form).status_code == 200  # the standard request is still served


V1P1_USERS = "/ims/oneroster/v1p1/users"


@pytest.mark.parametrize(
    ("scope", "echoed", "reads_1p2", "reads_1p1"),
    [
        ("https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly", None, True, False),
        ("https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly", None, False, True),
        ("roster.readonly", None, True, True),
        (None, "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly", True, True),
    ],
)
def test_a_token_grants_its_scopes_in_the_versions_they_name(served, scope, echoed, reads_1p2, reads_1p1):
    url = served()
    data = {**CLIENT_CREDENTIALS, **({"scope": scope} if scope else {})}
    issued = httpx.post(f"{url}/oauth/token", data=data, auth=BASIC)
    assert issued.status_code == 200, issued.text
    granted = issued.json()["scope"].split()
    assert (echoed or scope) in granted
    assert "https://purl.imsglobal.org/spec/or/v1p1/scope/gradebook.createpost" not in granted
    bearer = {"Authorization": f"Bearer {issued.json()['access_token']}"}
    assert httpx.get(url + USERS_1P2, params={"limit": 1}, headers=bearer).status_code == (200 if reads_1p2 else 403)
    assert httpx.get(url + V1P1_USERS, params={"limit": 1}, headers=bearer).status_code == (200 if reads_1p1 else 403)
