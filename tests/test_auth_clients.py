"""Real OAuth clients against the mock SIS over HTTP, and every refusal the standard calls for.

The server runs on a loopback socket with a clock the tests can move (token expiry, stale timestamps).
"""

from __future__ import annotations

import logging
import time

import httpx
import pytest
import requests
from authlib.integrations.httpx_client import OAuth2Client
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_PLAINTEXT
from requests_oauthlib import OAuth1

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_OAUTH2, DEMO_SCHOOL, ensure_demo_clients
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.live import LiveServer

V11 = "/ims/oneroster/v1p1"
V12 = "/ims/oneroster/rostering/v1p2"
TRICKY_FILTER = "familyName='O''Brien' OR givenName='A, B c' OR email~'x y,z'"


class Clock:
    """time.time, moved forward on demand."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_data):
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('auth') / 'auth.db'}")
    load(engine, demo_data)
    config = server_config(token_lifetime=600)
    registry = registry_for(config, engine)
    ensure_demo_clients(registry)
    clock = Clock()
    with LiveServer(create_app(config, engine=engine, clock=clock)) as live:
        yield live, registry, clock


def code_minor(response) -> str:
    body = response.json()
    info = body["statusInfoSet"][0] if "statusInfoSet" in body else body
    return info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


def description(response) -> str:
    body = response.json()
    return (body["statusInfoSet"][0] if "statusInfoSet" in body else body)["imsx_description"]


# -- real clients -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256])
def test_requests_oauthlib_signs_every_query_parameter(server, method):
    live, _, _ = server
    auth = OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, signature_method=method)
    params = {"filter": TRICKY_FILTER, "fields": "sourcedId,familyName", "limit": "5", "sort": "familyName"}
    response = requests.get(f"{live.url}{V11}/users", params=params, auth=auth, timeout=30)
    assert response.status_code == 200, response.text
    assert {u["familyName"] for u in response.json()["users"]} == {"O'Brien"}


def test_oauth1_without_oauth_version(server):
    live, _, _ = server
    auth = OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, signature_method=SIGNATURE_HMAC_SHA256)
    prepared = requests.Request("GET", f"{live.url}{V11}/orgs", auth=auth).prepare()
    header = prepared.headers["Authorization"]
    header = header.decode() if isinstance(header, bytes) else header
    assert 'oauth_version="1.0"' in header
    # Re-sign without oauth_version: the version parameter is optional.
    from oauthlib.oauth1 import Client

    class NoVersionClient(Client):
        def get_oauth_params(self, request):
            return [(name, value) for name, value in super().get_oauth_params(request) if name != "oauth_version"]

    client = NoVersionClient(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, signature_method=SIGNATURE_HMAC_SHA256)
    uri, headers, _ = client.sign(f"{live.url}{V11}/orgs")
    assert "oauth_version" not in headers["Authorization"]
    assert httpx.get(uri, headers=headers).status_code == 200


def test_authlib_client_credentials(server):
    live, _, _ = server
    with OAuth2Client(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret, token_endpoint_auth_method="client_secret_basic") as c:
        token = c.fetch_token(f"{live.url}/oauth/token", grant_type="client_credentials")
        assert token["token_type"].lower() == "bearer" and token["expires_in"] == 600
        response = c.get(f"{live.url}{V12}/users", params={"filter": TRICKY_FILTER, "limit": "3"})
    assert response.status_code == 200
    assert {u["familyName"] for u in response.json()["users"]} == {"O'Brien"}


def test_authlib_client_with_form_body_credentials(server):
    live, _, _ = server
    with OAuth2Client(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret, token_endpoint_auth_method="client_secret_post") as c:
        c.fetch_token(f"{live.url}/oauth/token", grant_type="client_credentials")
        assert c.get(f"{live.url}{V11}/orgs").status_code == 200


def test_authlib_password_grant(server):
    live, _, _ = server
    with OAuth2Client(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret) as c:
        token = c.fetch_token(f"{live.url}/oauth/token", username=DEMO_OAUTH2.username, password=DEMO_OAUTH2.password)
        assert token["access_token"]
        assert c.get(f"{live.url}{V12}/schools").status_code == 200


def test_password_grant_refuses_a_wrong_password(server):
    live, _, _ = server
    response = httpx.post(
        f"{live.url}/oauth/token",
        data={"grant_type": "password", "username": DEMO_OAUTH2.username, "password": "guess"},
        auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_raw_basic_token_request_with_scopes(server):
    live, _, _ = server
    scope = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
    response = httpx.post(
        f"{live.url}/oauth/token",
        content=f"grant_type=client_credentials&scope={scope}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert token["scope"] == scope
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert httpx.get(f"{live.url}{V12}/users", headers=headers).status_code == 200
    assert httpx.get(f"{live.url}{V12}/classes/class-1-0-0/students", headers=headers).status_code == 403
    assert httpx.get(f"{live.url}{V12}/demographics", headers=headers).status_code == 403


# -- refusals -------------------------------------------------------------------------------------


def _signed(live, path: str, **client_options) -> requests.PreparedRequest:
    options = {"signature_method": SIGNATURE_HMAC_SHA256, **client_options}
    key = options.pop("client_key", DEMO_OAUTH1.client_id)
    secret = options.pop("client_secret", DEMO_OAUTH1.secret)
    return requests.Request("GET", f"{live.url}{path}", auth=OAuth1(key, secret, **options)).prepare()


def _send(prepared: requests.PreparedRequest) -> requests.Response:
    with requests.Session() as session:
        return session.send(prepared, timeout=30)


def _assert_refused(response, status: int, code: str, reason: str, *secrets_: str) -> None:
    assert response.status_code == status, response.text
    assert code_minor(response) == code
    assert reason in description(response)
    for secret in secrets_:
        assert secret not in response.text


def test_tampered_signature(server):
    live, _, _ = server
    prepared = _signed(live, f"{V11}/users?filter=familyName%3D%27Kim%27")
    prepared.url = prepared.url.replace("Kim", "Lee")
    _assert_refused(_send(prepared), 401, "unauthorisedrequest", "signature does not match", DEMO_OAUTH1.secret)


def test_wrong_secret(server):
    live, _, _ = server
    response = _send(_signed(live, f"{V11}/users", client_secret="not-the-secret"))
    _assert_refused(response, 401, "unauthorisedrequest", "signature does not match", DEMO_OAUTH1.secret)


def test_stale_timestamp(server):
    live, _, _ = server
    response = _send(_signed(live, f"{V11}/users", timestamp=str(int(time.time()) - 3600)))
    _assert_refused(response, 401, "unauthorisedrequest", "oauth_timestamp")


def test_reused_nonce(server):
    live, _, _ = server
    prepared = _signed(live, f"{V11}/orgs")
    assert _send(prepared).status_code == 200
    _assert_refused(_send(prepared), 401, "unauthorisedrequest", "nonce was used before")


def test_plaintext_signatures_are_refused(server):
    live, _, _ = server
    response = _send(_signed(live, f"{V11}/orgs", signature_method=SIGNATURE_PLAINTEXT))
    _assert_refused(response, 401, "unauthorisedrequest", "PLAINTEXT is not accepted", DEMO_OAUTH1.secret)


def test_oauth1_is_refused_by_1p2_by_default(server):
    live, _, _ = server
    response = _send(_signed(live, f"{V12}/orgs"))
    _assert_refused(response, 401, "unauthorisedrequest", "accepts only OAuth 2.0")
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_missing_credentials_and_unknown_token(server):
    live, _, _ = server
    _assert_refused(httpx.get(f"{live.url}{V12}/orgs"), 401, "unauthorisedrequest", "no credentials")
    refused = httpx.get(f"{live.url}{V11}/orgs", headers={"Authorization": "Bearer made-up"})
    _assert_refused(refused, 401, "unauthorisedrequest", "unknown bearer token", "made-up")
    assert "statusInfoSet" in refused.json()


def test_expired_token(server):
    live, _, clock = server
    with OAuth2Client(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret) as c:
        token = c.fetch_token(f"{live.url}/oauth/token", grant_type="client_credentials")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{live.url}{V12}/orgs", headers=headers).status_code == 200
    clock.offset += 601
    try:
        _assert_refused(
            httpx.get(f"{live.url}{V12}/orgs", headers=headers), 401, "unauthorisedrequest", "expired", token
        )
    finally:
        clock.offset -= 601


def test_revoked_client(server):
    live, registry, _ = server
    created = registry.add("to revoke")
    token = httpx.post(
        f"{live.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.client.client_id, created.secret),
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{live.url}{V12}/orgs", headers=headers).status_code == 200
    registry.revoke(created.client.client_id)
    _assert_refused(httpx.get(f"{live.url}{V12}/orgs", headers=headers), 401, "unauthorisedrequest", "", token)
    again = httpx.post(
        f"{live.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(created.client.client_id, created.secret),
    )
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    signed = _send(_signed(live, f"{V11}/orgs", client_key=created.client.client_id, client_secret=created.secret))
    _assert_refused(signed, 401, "unauthorisedrequest", "revoked", created.secret)


def test_scope_escalation(server):
    live, registry, _ = server
    created = registry.add("core only", ("roster-core.readonly",))
    response = httpx.post(
        f"{live.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "scope": "https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly",
        },
        auth=(created.client.client_id, created.secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert created.secret not in response.text


def test_org_scoped_client_cannot_escape_with_or(server, demo_data):
    live, _, _ = server
    token = httpx.post(
        f"{live.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(DEMO_SCHOOL.client_id, DEMO_SCHOOL.secret),
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    outsider = next(
        u["sourcedId"] for u in demo_data["user"] if all(r["org"]["sourcedId"] != "school-1" for r in u["roles"])
    )
    escape = f"sourcedId='{outsider}' OR status='active' OR status!='active'"
    users = httpx.get(f"{live.url}{V12}/users", params={"filter": escape, "limit": "1000"}, headers=headers).json()[
        "users"
    ]
    assert users and outsider not in {u["sourcedId"] for u in users}
    assert all(any(r["org"]["sourcedId"] == "school-1" for r in u["roles"]) for u in users)
    assert httpx.get(f"{live.url}{V12}/users/{outsider}", headers=headers).status_code == 404
    orgs = httpx.get(f"{live.url}{V12}/orgs", params={"filter": "type='district' OR type='school'"}, headers=headers)
    assert [o["sourcedId"] for o in orgs.json()["orgs"]] == ["school-1"]
    classes = httpx.get(f"{live.url}{V12}/classes", params={"limit": "1000"}, headers=headers).json()["classes"]
    assert classes and {c["school"]["sourcedId"] for c in classes} == {"school-1"}
    assert httpx.get(f"{live.url}{V12}/schools/school-2/classes", headers=headers).status_code == 404


def test_token_endpoint_is_strict_by_default(server):
    live, _, _ = server
    body = {"client_id": DEMO_OAUTH2.client_id, "client_secret": DEMO_OAUTH2.secret, "grant_type": "client_credentials"}
    assert httpx.post(f"{live.url}/oauth/token", json=body).status_code in (400, 401)
    assert httpx.post(f"{live.url}/oauth/token", params=body).status_code in (400, 401)
    no_grant = httpx.post(f"{live.url}/oauth/token", auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret))
    assert no_grant.status_code == 400 and no_grant.json()["error"] == "invalid_request"


def test_lenient_token_switches(demo_engine):
    from starlette.testclient import TestClient

    config = server_config(token_json_body=True, token_query_string=True, token_missing_grant_type=True)
    ensure_demo_clients(registry_for(config, demo_engine))
    client = TestClient(create_app(config, engine=demo_engine))
    body = {"client_id": DEMO_OAUTH2.client_id, "client_secret": DEMO_OAUTH2.secret}
    assert client.post("/oauth/token", json=body).status_code == 200
    assert client.post("/oauth/token", params=body).status_code == 200
    assert client.post("/oauth/token", auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret)).status_code == 200


def test_1p2_can_be_configured_to_accept_oauth1(demo_engine):
    from starlette.testclient import TestClient

    config = server_config(auth_methods_v1p2=frozenset({"oauth1", "oauth2"}))
    ensure_demo_clients(registry_for(config, demo_engine))
    client = TestClient(create_app(config, engine=demo_engine), base_url="http://testserver")
    prepared = requests.Request(
        "GET", f"http://testserver{V12}/orgs", auth=OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret)
    ).prepare()
    header = prepared.headers["Authorization"]
    response = client.get(
        f"{V12}/orgs", headers={"Authorization": header.decode() if isinstance(header, bytes) else header}
    )
    assert response.status_code == 200


# -- nothing secret in the logs -------------------------------------------------------------------------


def test_logs_hold_no_secret_or_token(server, caplog):
    live, _, clock = server
    caplog.set_level(logging.DEBUG)
    with OAuth2Client(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret) as c:
        token = c.fetch_token(f"{live.url}/oauth/token", grant_type="client_credentials")["access_token"]
    failures = [
        lambda: _send(_signed(live, f"{V11}/users", client_secret="wrong-secret")),
        lambda: _send(_signed(live, f"{V11}/users", timestamp="1")),
        lambda: httpx.get(f"{live.url}{V12}/orgs", headers={"Authorization": f"Bearer {token}x"}),
        lambda: httpx.post(
            f"{live.url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEMO_OAUTH2.client_id, "wrong-secret"),
        ),
        lambda: httpx.post(
            f"{live.url}/oauth/token",
            data={"grant_type": "password", "username": DEMO_OAUTH2.username, "password": "wrong-password"},
            auth=(DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret),
        ),
    ]
    for failure in failures:
        assert failure().status_code >= 400
    clock.offset += 10_000
    try:
        assert httpx.get(f"{live.url}{V12}/orgs", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    finally:
        clock.offset -= 10_000
    server_side = ("rosterlab", "oauthlib", "authlib.oauth2.rfc6749", "uvicorn", "connexion", "sqlalchemy", "starlette")
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith(server_side))
    assert "401" in logged  # the refusals were logged...
    for secret in (
        DEMO_OAUTH2.secret,
        DEMO_OAUTH1.secret,
        "wrong-secret",
        "wrong-password",
        DEMO_OAUTH2.password,
        token,
    ):
        assert secret not in logged  # ...without any secret or token
