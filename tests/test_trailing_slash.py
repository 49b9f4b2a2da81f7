"""A path with a trailing slash is refused in the OneRoster envelope, never redirected before authentication.

A redirect would reach the client before its credentials are checked: an OAuth 1.0a client following it
presents a signature made for the other URL, and the Location names whatever host the request reached.
"""

from __future__ import annotations

import re

import pytest
import requests
from requests_oauthlib import OAuth1

from rosterlab.server.app import DISCOVERY_NAMES, create_app, registry_for, served_document
from rosterlab.server.auth.demo import DEMO_OAUTH1, ensure_demo_clients
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from rosterlab.spec.openapi import DOCUMENTS
from tests.conftest import server_config
from tests.live import LiveServer

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
PUBLIC_URL = "https://sis.example.org"


def _concrete(template: str) -> str:
    return re.sub(r"\{\w+\}", "x-1", template)


def _documented_paths() -> list[str]:
    """Every OneRoster path of 1.1 and 1.2, and the server's other documented paths."""
    paths = ["/oauth/token", "/admin/advance", "/admin/user/x-1"]
    for document in DOCUMENTS:
        base = document.base_path
        paths += [base + _concrete(template) for template in served_document(document)["paths"]]
        paths.append(f"{base}/openapi.json")
        paths += [f"{base}/discovery/{name}" for name in DISCOVERY_NAMES.get(document.name, ())]
    return paths


@pytest.fixture(scope="module")
def engine(tmp_path_factory, demo_data):
    engine = connect(f"sqlite:///{tmp_path_factory.mktemp('slash') / 'store.db'}")
    load(engine, demo_data)
    return engine


@pytest.fixture(scope="module")
def client(engine):
    from starlette.testclient import TestClient

    config = server_config(public_url=PUBLIC_URL, admin_password="admin-secret")
    ensure_demo_clients(registry_for(config, engine))
    app = create_app(config, engine=engine)
    return TestClient(app, base_url="http://internal-host:8000", follow_redirects=False)


def _envelope(body: dict) -> dict:
    return body["statusInfoSet"][0] if "statusInfoSet" in body else body


def test_every_documented_path_is_listed():
    paths = _documented_paths()
    assert "/ims/oneroster/v1p1/courses" in paths and "/ims/oneroster/gradebook/v1p2/results/x-1" in paths
    assert len(paths) > 100


@pytest.mark.parametrize("method", METHODS)
def test_no_trailing_slash_is_redirected(client, method):
    redirected = []
    for path in _documented_paths():
        response = client.request(method, path + "/")
        if 300 <= response.status_code < 400 or "location" in response.headers:
            redirected.append(f"{method} {path}/ -> {response.status_code} {response.headers.get('location')}")
    assert redirected == []


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_a_trailing_slash_is_refused_in_the_versions_envelope(client, method):
    for path in ("/ims/oneroster/v1p1/courses", "/ims/oneroster/rostering/v1p2/users/x-1"):
        response = client.request(method, path + "/")
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/json")
        info = _envelope(response.json())
        assert info["imsx_codeMajor"] == "failure"
        assert info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "unknownobject"
        assert path in info["imsx_description"]
    assert "statusInfoSet" in client.get("/ims/oneroster/v1p1/courses/").json()


def test_paths_without_a_slash_still_answer(client):
    assert client.get("/ims/oneroster/v1p1/courses").status_code == 401
    assert client.get("/ims/oneroster/rostering/v1p2/openapi.json").status_code == 200
    assert client.get("/ims/oneroster/rostering/v1p2/ui/").status_code == 200


@pytest.fixture(scope="module")
def live(engine):
    config = server_config(public_url=PUBLIC_URL)
    ensure_demo_clients(registry_for(config, engine))
    with LiveServer(create_app(config, engine=engine)) as server:
        yield server


def test_an_oauth1_client_is_not_led_into_a_signature_failure(live):
    auth = OAuth1(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, signature_method="HMAC-SHA256")
    response = requests.get(f"{live.url}/ims/oneroster/v1p1/courses/", auth=auth, timeout=30)
    assert response.history == []
    assert response.status_code == 404
    assert "/ims/oneroster/v1p1/courses" in _envelope(response.json())["imsx_description"]
    signed = requests.get(f"{live.url}/ims/oneroster/v1p1/courses", auth=auth, timeout=30)
    assert signed.status_code == 200
