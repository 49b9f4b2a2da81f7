"""`/` answers a landing page (HTML for a browser, JSON otherwise) and `/favicon.ico` an icon, not 404s."""

from __future__ import annotations

import pytest

from rosterlab.server.app import create_app
from rosterlab.server.store.database import connect
from tests.conftest import server_config

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BASES = (
    "/ims/oneroster/v1p1",
    "/ims/oneroster/rostering/v1p2",
    "/ims/oneroster/gradebook/v1p2",
    "/ims/oneroster/resources/v1p2",
)


def _client(tmp_path, **settings):
    from starlette.testclient import TestClient

    app = create_app(server_config(**settings), engine=connect(f"sqlite:///{tmp_path / 'store.db'}"))
    return TestClient(app, base_url="http://127.0.0.1:8000", follow_redirects=False)


@pytest.fixture
def client(tmp_path):
    return _client(tmp_path)


def test_a_browser_gets_html_linking_everything(client):
    response = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for base in BASES:
        assert f'href="http://127.0.0.1:8000{base}"' in page
        assert f'href="http://127.0.0.1:8000{base}/openapi.json"' in page
        assert f'href="http://127.0.0.1:8000{base}/ui/"' in page
    assert "/ims/oneroster/rostering/v1p2/discovery/onerosterv1p2rostersservice_openapi3_v1p0.json" in page
    assert "http://127.0.0.1:8000/oauth/token" in page
    assert "/console" not in page
    assert 'rel="icon"' in page


def test_other_clients_get_json(client):
    for accept in (None, "*/*", "application/json"):
        response = client.get("/", headers={"Accept": accept} if accept else {})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert [api["base_url"] for api in body["apis"]] == [f"http://127.0.0.1:8000{base}" for base in BASES]
        assert body["token_url"] == "http://127.0.0.1:8000/oauth/token"
        assert body["apis"][0]["openapi"] == "http://127.0.0.1:8000/ims/oneroster/v1p1/openapi.json"
        assert body["apis"][0]["swagger_ui"] == "http://127.0.0.1:8000/ims/oneroster/v1p1/ui/"
        assert len(body["apis"][1]["discovery"]) == 2
        assert "console" not in body


def test_the_links_answer(client):
    body = client.get("/").json()
    for api in body["apis"]:
        for url in (api["openapi"], api["swagger_ui"], *api["discovery"]):
            assert client.get(url).status_code == 200, url


def test_head_and_other_methods(client):
    assert client.head("/").status_code == 200
    refused = client.post("/")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"


def test_the_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.content.startswith(b"<svg")


def test_public_url_token_path_and_console(tmp_path):
    client = _client(
        tmp_path, public_url="https://sis.example.org", token_path="/oauth2/token", admin_password="pw", console=True
    )
    body = client.get("/").json()
    assert body["token_url"] == "https://sis.example.org/oauth2/token"
    assert body["console"] == "https://sis.example.org/console/"
    assert body["apis"][0]["base_url"] == "https://sis.example.org/ims/oneroster/v1p1"
    assert 'href="https://sis.example.org/console/"' in client.get("/", headers={"Accept": BROWSER_ACCEPT}).text


def test_without_authentication_there_is_no_token_url(tmp_path):
    body = _client(tmp_path, authentication=False).get("/").json()
    assert body["token_url"] is None
