"""The sync console in a real browser (Playwright driving Chromium, headless) against a mock SIS on loopback:
add a connection, test it, sync now and see the history; upload a CSV zip with an error and see the report;
approve held deletions. Screenshots of each step are written into the test's temporary folder."""

from __future__ import annotations

import io
import re
import zipfile

import httpx
import pytest
from sqlalchemy import select

from rosterlab.consumer.console import create_console
from rosterlab.consumer.store import TABLES, connect_store
from rosterlab.server.auth.demo import DEMO_OAUTH2
from rosterlab.server.csv.export import export_bundle
from rosterlab.server.demo import demo_district
from tests.browser import browser_page, chromium_path, serving
from tests.test_sync_full import provider  # noqa: F401  (the fixture)

PASSWORD = "console-test-password"


@pytest.fixture
def console(tmp_path):
    chromium_path()
    engine = connect_store(f"sqlite:///{tmp_path / 'sync.db'}")
    with serving(create_console(engine, PASSWORD)) as url:
        yield url, engine


@pytest.fixture
def page(tmp_path):
    with browser_page(tmp_path) as page:
        yield page


def log_in(page, url: str) -> None:
    page.goto(f"{url}/")
    assert page.url.startswith(f"{url}/login")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{url}/")


def add_connection(page, url: str, fields: dict[str, str], selects: dict[str, str]) -> None:
    page.click("text=Add a connection")
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    for name, value in selects.items():
        page.select_option(f"select[name={name}]", value)
    page.shot("form")
    page.click("button:has-text('Save')")
    page.wait_for_url(re.compile(r".*/connections/[^/]+$"))


def wait_for_job(page) -> str:
    page.wait_for_url(re.compile(r".*/jobs/\w+$"))
    page.wait_for_function("['succeeded', 'failed'].includes(document.querySelector('#status')?.textContent)")
    return page.text_content("#status")


def test_add_a_connection_test_it_sync_now_and_see_the_history(console, page, provider):  # noqa: F811
    url, engine = console
    live, _, data = provider
    log_in(page, url)
    add_connection(
        page,
        url,
        {
            "name": "district",
            "base_url": live.url,
            "client_id": DEMO_OAUTH2.client_id,
            "client_secret": DEMO_OAUTH2.secret,
        },
        {"source": "rest", "version": "1.2", "method": "oauth2"},
    )
    page.click("button:has-text('Test connection')")
    assert "OK: answers OneRoster 1.2" in page.text_content(".flash")
    page.shot("tested")
    page.click("button:has-text('Sync now')")
    assert wait_for_job(page) == "succeeded"
    page.shot("synced")
    assert "user" in page.text_content("#progress")
    page.click("text=See the history")
    row = page.text_content("#history tbody tr")
    assert "applied" in row and f"created {len(data['user'])}" in row
    page.shot("history")
    with engine.connect() as db:
        synced = db.execute(select(TABLES["user"].c.sourced_id).where(TABLES["user"].c.connection == "district"))
        assert {r[0] for r in synced} == {u["sourcedId"] for u in data["user"]}


def test_a_wrong_secret_is_reported_when_testing(console, page, provider):  # noqa: F811
    url, _ = console
    live, _, _ = provider
    log_in(page, url)
    add_connection(
        page,
        url,
        {"name": "typo", "base_url": live.url, "client_id": DEMO_OAUTH2.client_id, "client_secret": "wrong"},
        {"source": "rest", "version": "1.2"},
    )
    page.click("button:has-text('Test connection')")
    assert page.text_content(".flash.error").startswith("FAILED:")
    page.shot("refused")


def _bundle(records) -> bytes:
    return export_bundle(records, "1.2.1")


def _edit(bundle: bytes, name: str, old: str, new: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        files = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    files[name] = files[name].decode().replace(old, new, 1).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for file, content in files.items():
            archive.writestr(file, content)
    return out.getvalue()


def upload(page, tmp_path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    page.set_input_files("input[name=bundle]", str(path))
    page.click("button:has-text('Upload and sync')")


def test_an_upload_with_an_error_shows_the_report_and_applies_nothing(console, page, tmp_path):
    url, engine = console
    log_in(page, url)
    add_connection(page, url, {"name": "csv-district"}, {"source": "csv"})
    broken = _edit(_bundle(demo_district()), "users.csv", ",true,", ",maybe,")
    upload(page, tmp_path, "broken.zip", broken)
    page.wait_for_selector("h1:has-text('broken.zip was not synced')")
    page.shot("report")
    section = page.locator("section.card", has_text="users.csv")
    assert "enabledUser" in section.text_content() and "not true or false" in section.text_content()
    assert re.search(r"\b\d+\b", section.locator("tbody td").first.text_content())  # the row number
    with engine.connect() as db:
        assert db.execute(select(TABLES["user"].c.sourced_id)).first() is None


def test_held_deletions_are_approved_in_the_console(console, page, tmp_path):
    url, engine = console
    log_in(page, url)
    add_connection(page, url, {"name": "csv-district"}, {"source": "csv"})
    data = demo_district()
    upload(page, tmp_path, "first.zip", _bundle(data))
    assert wait_for_job(page) == "succeeded"
    students = [u for u in data["user"] if u["roles"][0]["role"] == "student"]
    gone = {u["sourcedId"] for u in students[: len(data["user"]) // 3]}
    remaining = [u for u in data["user"] if u["sourcedId"] not in gone]
    remaining = [{**u, "agents": [a for a in u.get("agents", []) if a["sourcedId"] not in gone]} for u in remaining]
    kept = {**data, "user": remaining}
    kept["enrollment"] = [e for e in data["enrollment"] if e["user"]["sourcedId"] not in gone]
    kept["demographics"] = [d for d in data.get("demographics", []) if d["sourcedId"] not in gone]
    kept["result"] = [r for r in data.get("result", []) if r["student"]["sourcedId"] not in gone]
    page.goto(f"{url}/connections/csv-district")
    upload(page, tmp_path, "second.zip", _bundle(kept))
    assert wait_for_job(page) == "succeeded"
    page.goto(f"{url}/connections/csv-district")
    held = page.text_content("#held")
    assert f"{len(gone)} user record(s)" in held
    page.shot("held")
    page.click("button:has-text('Approve deletions')")
    assert page.text_content(".flash").startswith("Applied ")
    assert page.locator("#held").count() == 0
    page.shot("approved")
    users = TABLES["user"]
    with engine.connect() as db:
        statuses = dict(db.execute(select(users.c.sourced_id, users.c.status)).all())
    assert {sid for sid, status in statuses.items() if status == "tobedeleted"} >= gone


def test_pages_need_the_login_and_forms_need_their_csrf_token(console):
    url, _ = console
    with httpx.Client(base_url=url) as client:
        assert client.get("/").status_code == 302
        assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 400
        login_page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
        wrong = client.post("/login", data={"username": "admin", "password": "nope", "csrf_token": token})
        assert wrong.status_code == 401
        right = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
        assert right.status_code == 302 and client.get("/").status_code == 200
        assert client.post("/connections/new", data={"name": "x"}).status_code == 400  # no token
