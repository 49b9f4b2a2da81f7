"""A real browser for the console tests: Playwright driving the system's Chromium, headless."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")


def chromium_path() -> str:
    """The Chromium to drive; the test is skipped, saying how to install it, where there is none."""
    found = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not found:
        pytest.skip("no Chromium at /usr/bin/chromium: `apt-get install chromium` (.ci/run installs it)")
    return str(found)


@contextmanager
def serving(app) -> Iterator[str]:
    """A WSGI app on a free loopback port, in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def browser_page(screenshots: Path) -> Iterator:
    """A fresh page of a headless Chromium; `page.shot(name)` writes a screenshot into `screenshots`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(20_000)
            page.shot = lambda name: page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
            yield page
        finally:
            browser.close()
