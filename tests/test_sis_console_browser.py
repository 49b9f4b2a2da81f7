"""The mock SIS's console in a real browser (Playwright driving Chromium, headless): browse with the API's
filters, advance the clock, switch the profile and quirks the API behaves by, issue and revoke credentials, and read
the request log with its consumer report. Screenshots go into the test's temporary folder."""

from __future__ import annotations

import time

import httpx
import pytest

from rosterlab.server.app import create_app, registry_for
from rosterlab.server.auth.demo import DEMO_OAUTH2, ensure_demo_clients
from rosterlab.server.demo import demo_district
from rosterlab.server.store.database import connect
from rosterlab.server.store.load import load
from tests.browser import browser_page, chromium_path
from tests.conftest import server_config
from tests.live import LiveServer

PASSWORD = "sis-console-password"
USERS = "/ims/oneroster/rostering/v1p2/users"


@pytest.fixture
def sis(tmp_path):
    chromium_path()
    engine = connect(f"sqlite:///{tmp_path / 'sis.db'}")
    load(engine, demo_district())
    config = server_config(admin_password=PASSWORD, console=True, record_requests=True)
    ensure_demo_clients(registry_for(config, engine))
    with LiveServer(create_app(config, engine=engine)) as live:
        yield live.url


@pytest.fixture
def page(tmp_path):
    with browser_page(tmp_path) as page:
        yield page


def token(url: str, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))


def api(url: str, **params: str) -> httpx.Response:
    bearer = token(url, DEMO_OAUTH2.client_id, DEMO_OAUTH2.secret).json()["access_token"]
    return httpx.get(f"{url}{USERS}", params=params, headers={"Authorization": f"Bearer {bearer}"})


def page_sizes_become(url: str, size: int, what: str) -> None:
    """Wait (a few seconds at most) until the API serves pages of `size` users when asked for 100."""
    deadline = time.monotonic() + 10
    while len(api(url, limit="100").json()["users"]) != size:
        assert time.monotonic() < deadline, f"the API did not {what}"
        time.sleep(0.3)


def log_in(page, url: str) -> None:
    page.goto(f"{url}/console/")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_selector("h1:has-text('Mock SIS')")


def test_browse_advance_and_switch_the_profile(sis, page):
    log_in(page, sis)
    page.shot("overview")
    page.click("nav >> text=Browse")
    page.fill("input[name=filter]", "familyName~'a' AND status='active'")
    page.fill("input[name=limit]", "10")
    page.click("button:has-text('Show')")
    page.shot("browse")
    shown = page.text_content("#total")
    expected = api(sis, filter="familyName~'a' AND status='active'", limit="10").headers["X-Total-Count"]
    assert shown.startswith(f"{expected} record(s)") and page.locator("#records tbody tr").count() == min(
        10, int(expected)
    )
    page.shot("browse")
    page.fill("input[name=filter]", "shoeSize='42'")
    page.click("button:has-text('Show')")
    assert "invalid_filter_field" in page.text_content("#error")

    page.click("nav >> text=Overview")
    before = page.text_content("#clock")
    page.fill("input[name=days]", "3")
    page.click("button:has-text('Advance')")
    assert page.text_content(".flash").startswith("Advanced 3 day(s)")
    assert page.text_content("#clock") > before
    page.shot("advanced")

    assert len(api(sis, limit="100").json()["users"]) == 100
    page.select_option("select[name=profile]", "powerschool")
    page.click("button:has-text('Switch')")
    assert page.text_content("#profile") == "powerschool"
    page_sizes_become(sis, 75, "switch to the powerschool profile")  # its page cap, once the worker sees it
    page.shot("switched")


def test_switch_a_quirk_on_and_off_and_refuse_a_bad_one(sis, page):
    log_in(page, sis)
    assert page.input_value("input[name=quirks]") == ""
    assert page.text_content("#quirks") == "none"
    assert len(api(sis, limit="100").json()["users"]) == 100

    page.fill("input[name=quirks]", "page_cap=7")
    page.click("button:has-text('Switch')")
    assert page.text_content(".flash").startswith("Switched")
    assert page.text_content("#profile") == "strict"
    assert page.text_content("#quirks") == "page_cap=7"
    assert page.input_value("input[name=quirks]") == "page_cap=7"  # prefilled with what is in force
    page_sizes_become(sis, 7, "switch page_cap=7 on")
    page.shot("quirk-on")

    page.fill("input[name=quirks]", "teleport")
    page.click("button:has-text('Switch')")
    error = page.text_content(".flash.error")
    assert error.startswith("Not switched") and "teleport" in error
    assert page.text_content("#quirks") == "page_cap=7"  # nothing stored
    page.shot("quirk-refused")
    page.fill("input[name=quirks]", "page_cap=seven")
    page.click("button:has-text('Switch')")
    assert "page_cap" in page.text_content(".flash.error")
    time.sleep(1.5)  # longer than a worker takes to see a change
    assert len(api(sis, limit="100").json()["users"]) == 7

    page.fill("input[name=quirks]", "")
    page.click("button:has-text('Switch')")
    assert page.text_content("#quirks") == "none"
    assert page.input_value("input[name=quirks]") == ""
    page_sizes_become(sis, 100, "switch page_cap=7 off")
    page.shot("quirk-off")

    page.select_option("select[name=profile]", "powerschool")
    page.fill("input[name=quirks]", "page_cap=7")
    page.click("button:has-text('Switch')")  # on top of the profile's own page_cap=75
    assert page.text_content("#profile") == "powerschool"
    assert page.text_content("#quirks") == "page_cap=7"
    page_sizes_become(sis, 7, "switch page_cap=7 on over the powerschool profile")
    page.fill("input[name=quirks]", "")
    page.click("button:has-text('Switch')")
    assert page.text_content("#quirks") == "page_cap=75"
    assert page.input_value("input[name=quirks]") == ""
    page_sizes_become(sis, 75, "switch page_cap=7 off (back to powerschool's 75)")


def test_issue_and_revoke_credentials_and_read_the_consumer_report(sis, page):
    log_in(page, sis)
    api(sis, limit="5")
    page.click("nav >> text=Clients")
    page.fill("input[name=name]", "staging app")
    page.click("button:has-text('Issue')")
    client_id, secret = page.text_content("#new-id"), page.text_content("#new-secret")
    page.shot("issued")
    assert token(sis, client_id, secret).status_code == 200
    page.locator("#clients tr", has_text=client_id).locator("button:has-text('Revoke')").click()
    assert f"Revoked {client_id}" in page.text_content(".flash")
    assert token(sis, client_id, secret).status_code == 401

    page.click("nav >> text=Requests")
    report = page.locator("section.card", has_text=f"Consumer report: {DEMO_OAUTH2.client_id}")
    complete = report.locator("tr", has_text="it read to the end").locator("td").nth(1).text_content()
    assert complete.strip() == "fail"  # it read one page of five users and stopped
    assert USERS in page.text_content("#log")
    page.shot("requests")


def test_the_console_needs_the_admin_password_and_csrf(sis):
    with httpx.Client(base_url=sis) as client:
        assert client.get("/console/browse").status_code == 302
        assert client.post("/console/login", data={"username": "admin", "password": PASSWORD}).status_code == 400
        assert client.post("/console/advance", data={"days": "1"}).status_code in (302, 400)
        assert "Mock SIS" not in client.get("/console/", follow_redirects=True).text
