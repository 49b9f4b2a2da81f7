"""Requests built to break the server, over real HTTP: each answered at once, in the OneRoster envelope, never
with a 500, and nothing unreadable stored."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

import httpx
import pytest
from oauthlib.oauth1 import Client as OAuth1Client

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH1, DEMO_SCHOOL, ensure_demo_clients
from rosterlab.server.cli import worker_options
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.conftest import server_config
from tests.databases import fresh_postgres_database
from tests.live import LiveServer, bearer

V11 = "/ims/oneroster/v1p1"
V12R = "/ims/oneroster/rostering/v1p2"
V12G = "/ims/oneroster/gradebook/v1p2"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request, tmp_path_factory):
    """One live mock SIS per database for the module, over a demo district the tests may write to."""
    if request.param == "sqlite":
        yield from _serve(f"sqlite:///{tmp_path_factory.mktemp('hardening') / 'sis.db'}")
    else:
        with fresh_postgres_database() as url:
            yield from _serve(url)


def _serve(url: str):
    engine = connect(url)
    load(engine, demo_district())
    config = server_config()
    ensure_demo_clients(registry_for(config, engine))
    http_protocol = worker_options(1)["http"]  # as `rosterlab serve` runs uvicorn
    with LiveServer(create_app(config, engine=engine), http=http_protocol) as server:
        yield server
    engine.dispose()


@pytest.fixture(scope="module")
def http(live):
    with httpx.Client(base_url=live.url, timeout=10) as client:
        client.headers.update(bearer(client, live.url))
        yield client


def code_minor(response: httpx.Response) -> str:
    body = response.json()
    info = body["statusInfoSet"][0] if "statusInfoSet" in body else body
    return info["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"]


def line_item(**changes) -> dict:
    base = {
        "title": "Hardening",
        "assignDate": "2024-10-01T08:00:00Z",
        "dueDate": "2024-10-08T08:00:00Z",
        "class": {"sourcedId": "class-1-0-0"},
        "school": {"sourcedId": "school-1"},
        "category": {"sourcedId": "cat-homework"},
    }
    return {"lineItem": {**base, **changes}}


def signed_headers(url: str, **extra: str) -> dict[str, str]:
    """OAuth 1.0a headers of the demo consumer for a GET of `url`, with extra oauth_* parameters."""
    client = OAuth1Client(DEMO_OAUTH1.client_id, DEMO_OAUTH1.secret, signature_method="HMAC-SHA256", **extra)
    _, headers, _ = client.sign(url, "GET")
    return headers


def test_oauth1_request_with_a_token_is_401(live):
    url = f"{live.url}{V11}/users"
    response = httpx.get(url, headers=signed_headers(url, resource_owner_key="some-token"), timeout=10)
    assert response.status_code == 401, response.text
    assert code_minor(response) == "unauthorisedrequest"
    assert "oauth_token" in response.json()["statusInfoSet"][0]["imsx_description"]


@pytest.mark.parametrize("header", ["OAuth a", "OAuth =", 'OAuth oauth_consumer_key="k", x'])
def test_a_malformed_oauth1_header_is_401(live, header):
    response = httpx.get(f"{live.url}{V11}/users", headers={"Authorization": header}, timeout=10)
    assert response.status_code == 401, response.text
    assert code_minor(response) == "unauthorisedrequest"


@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize("base", [V12R, V11])
def test_enormous_paging_numbers_are_400(http, base, name):
    response = http.get(f"{base}/users", params={name: "9" * 5000})
    assert response.status_code == 400, response.text
    assert code_minor(response) == "invaliddata"


FORM_BODIES = [
    ("application/x-www-form-urlencoded", b""),
    ("application/x-www-form-urlencoded", b"title=x"),
    ("multipart/form-data; boundary=xyz", b""),
    ("multipart/form-data; boundary=xyz", b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n'),
    ("text/plain", b"{}"),
]


@pytest.mark.parametrize(("content_type", "body"), FORM_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", f"{V12G}/lineItems/form-li"),
        ("POST", f"{V12G}/classes/class-1-0-0/lineItems"),
        ("PUT", f"{V11}/categories/form-cat"),
    ],
)
def test_a_write_that_is_not_json_is_415_at_once(http, method, path, content_type, body):
    started = time.monotonic()
    response = http.request(method, path, content=body, headers={"Content-Type": content_type}, timeout=5)
    assert time.monotonic() - started < 3
    assert response.status_code == 415, response.text
    assert code_minor(response) == "invaliddata"
    assert http.get(f"{V12G}/lineItems/form-li").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        line_item(title="nul\u0000inside"),
        line_item(description="\u0000"),
        {"lineItem": {**line_item()["lineItem"], "metadata": {"note\u0000": "x"}}},
    ],
)
def test_a_nul_character_in_a_body_is_refused(http, body):
    response = http.put(f"{V12G}/lineItems/nul-li", json=body)
    assert response.status_code == 422, response.text
    assert code_minor(response) == "invaliddata"
    assert "NUL" in response.json()["imsx_description"]
    assert http.get(f"{V12G}/lineItems", params={"sort": "title"}).status_code == 200
    assert http.get(f"{V12G}/lineItems/nul-li").status_code == 404


def test_a_nul_character_in_a_path_id_is_not_stored(http):
    response = http.put(f"{V12G}/lineItems/nul%00li", json=line_item())
    assert response.status_code == 404, response.text
    assert http.get(f"{V12G}/lineItems", params={"sort": "sourcedId"}).status_code == 200


def test_a_body_over_the_limit_is_413(http):
    response = http.put(f"{V12G}/lineItems/big-li", json=line_item(title="x" * (2 * 1024 * 1024)))
    assert response.status_code == 413, response.text
    assert code_minor(response) == "invaliddata"
    assert http.get(f"{V12G}/lineItems/big-li").status_code == 404


def test_a_streamed_body_over_the_limit_is_413(http):
    def chunks():
        yield b'{"lineItem": {"title": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}}'

    response = http.put(f"{V12G}/lineItems/big-li", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert code_minor(response) == "invaliddata"


def test_a_body_within_the_limit_is_stored(http):
    response = http.put(f"{V12G}/lineItems/fits-li", json=line_item(title="y" * 10_000))
    assert response.status_code == 201, response.text


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send `request` as bytes on a new connection; everything the server answers before it closes."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("request_bytes", "envelope"),
    [
        (b"GET " + V11.encode() + b"/users?filter=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "1.1"),
        (b"GET " + V12R.encode() + b"/users?filter=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "1.2"),
        (b"NOT HTTP AT ALL\r\n\r\n", "1.2"),
        (b"GET " + V11.encode() + b"/users HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", "1.1"),
    ],
)
def test_an_unreadable_request_is_400_in_the_envelope(live, request_bytes, envelope):
    head, _, body = raw_exchange(live.url, request_bytes).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b"content-type: application/json" in head.lower()
    response = httpx.Response(400, content=body, headers={"content-type": "application/json"})
    assert code_minor(response) == "invaliddata"
    assert ("statusInfoSet" in response.json()) == (envelope == "1.1")


@pytest.mark.parametrize(
    ("path", "holder"),
    [
        (f"{V12G}/scoreScales/scale-class-1-0-0", "lineItem"),
        (f"{V12G}/assessmentLineItems/ali-state-math", "assessmentResult"),
    ],
)
def test_an_object_in_use_cannot_be_deleted(http, path, holder):
    response = http.delete(path)
    assert response.status_code == 422, response.text
    assert code_minor(response) == "deletefailure"
    assert holder in response.json()["imsx_description"]
    assert http.get(path).status_code == 200


def test_a_parent_assessment_line_item_cannot_be_deleted(http):
    child = {"title": "Part A", "parentAssessmentLineItem": {"sourcedId": "ali-parent"}}
    parent = {"assessmentLineItem": {"title": "All"}}
    assert http.put(f"{V12G}/assessmentLineItems/ali-parent", json=parent).status_code == 201
    assert http.put(f"{V12G}/assessmentLineItems/ali-child", json={"assessmentLineItem": child}).status_code == 201
    response = http.delete(f"{V12G}/assessmentLineItems/ali-parent")
    assert response.status_code == 422, response.text
    assert code_minor(response) == "deletefailure"
    assert http.delete(f"{V12G}/assessmentLineItems/ali-child").status_code == 204
    assert http.delete(f"{V12G}/assessmentLineItems/ali-parent").status_code == 204


@pytest.fixture(scope="module")
def school_1(live):
    """A client restricted to school-1."""
    with httpx.Client(base_url=live.url, timeout=10) as client:
        issued = client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEMO_SCHOOL.client_id, DEMO_SCHOOL.secret),
        )
        client.headers["Authorization"] = f"Bearer {issued.json()['access_token']}"
        yield client


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"{V12G}/categories/cat-homework", {"category": {"title": "Renamed by school-1"}}),
        (f"{V12G}/assessmentLineItems/ali-state-math", {"assessmentLineItem": {"title": "Renamed by school-1"}}),
    ],
)
def test_a_restricted_client_cannot_change_what_other_schools_use(http, school_1, path, body):
    before = http.get(path).json()
    renamed = school_1.put(path, json=body)
    assert renamed.status_code == 403, renamed.text
    assert code_minor(renamed) == "forbidden"
    deleted = school_1.delete(path)
    assert deleted.status_code == 403, deleted.text
    assert "(s)" not in deleted.json()["imsx_description"]  # no count of other schools' records
    assert http.get(path).json() == before


def test_a_restricted_client_may_change_a_shared_object_used_only_in_its_orgs(http, school_1):
    path = f"{V12G}/categories/cat-school-1"
    in_school_1 = line_item(category={"sourcedId": "cat-school-1"})
    in_school_2 = line_item(category={"sourcedId": "cat-school-1"}, school={"sourcedId": "school-2"})
    in_school_2["lineItem"]["class"] = {"sourcedId": "class-2-0-0"}
    assert school_1.put(path, json={"category": {"title": "Labs"}}).status_code == 201
    assert school_1.put(f"{V12G}/lineItems/li-labs", json=in_school_1).status_code == 201
    assert school_1.put(path, json={"category": {"title": "Lab work"}}).status_code == 200
    assert http.put(f"{V12G}/lineItems/li-labs-2", json=in_school_2).status_code == 201
    assert school_1.put(path, json={"category": {"title": "Labs again"}}).status_code == 403


def test_serve_says_when_its_key_cannot_unseal_the_oauth1_secrets(tmp_path):
    database = f"sqlite:///{tmp_path / 'sis.db'}"
    rosterlab = [sys.executable, "-m", "rosterlab"]
    added = subprocess.run(
        [*rosterlab, "clients", "add", "Legacy LMS", "--client-id", "legacy", "--database", database,
         "--secret-key-file", str(tmp_path / "first.key")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    port = _free_port()
    process = subprocess.Popen(
        [*rosterlab, "serve", "--port", str(port), "--database", database,
         "--secret-key-file", str(tmp_path / "other.key")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert "cannot unseal the OAuth 1.0a secrets of 1 client(s) (legacy)" in output
    assert str(tmp_path / "other.key") in output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_refusals_are_logged_with_client_operation_and_reason(http, school_1, caplog):
    caplog.set_level(logging.INFO, logger="rosterlab.server")
    assert school_1.delete(f"{V12G}/categories/cat-homework").status_code == 403
    assert http.put(f"{V12G}/lineItems/nul-li", json=line_item(title="\u0000")).status_code == 422
    assert http.put(f"{V12G}/lineItems/x", content=b"a=1", headers={"Content-Type": "text/plain"}).status_code == 415
    assert httpx.get(f"{http.base_url}{V12R}/users", headers={"Authorization": "Bearer forged"}).status_code == 401
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("rosterlab.server")]
    assert any("403 deleteCategory DELETE" in line and "(client demo-school-1)" in line for line in lines), lines
    assert any("422 putLineItem PUT" in line and "NUL" in line and "(client demo-oauth2)" in line for line in lines)
    assert any(line.startswith("415 PUT") for line in lines), lines
    assert any("unknown bearer token" in line for line in lines), lines
    token = http.headers["Authorization"].split()[1]
    assert not any(token in line or "forged" in line or "secret" in line for line in lines), lines


def test_serve_logs_refusals_as_json_lines(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "rosterlab", "serve", "--demo", "--port", str(port),
         "--database", f"sqlite:///{tmp_path / 'sis.db'}", "--secret-key-file", str(tmp_path / "secret.key"),
         "--log-level", "info", "--log-format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.TransportError):
                refused = httpx.get(f"http://127.0.0.1:{port}{V12R}/users", timeout=2)
                break
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert refused.status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    entries = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    refusal = next(entry for entry in entries if "no credentials" in entry["message"])
    assert refusal["level"] == "info" and refusal["logger"] == "rosterlab.server.auth"
