"""Browser tests: the admin as an owner sees it, in Debian's Chromium driven by Playwright.

A live server (pytest-django's, on the test database) answers a real headless Chromium; pages
are checked through the DOM, and every test saves a full-page screenshot under
`<var>/screenshots/` to look at (not committed). Content Security Policy violations reported on
the console fail the test: the admin runs under `style-src 'self'` and `script-src 'self'`.

Playwright's own browser download is not reachable here; `.ci/run` installs the `chromium`
package with apt and Playwright drives it through `executable_path`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.factories import PASSWORD
from tests.messaging.conftest import fake_graph, graph  # noqa: F401 (fixtures for the inbox tests)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags of a closed network: no background connections that would be refused at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=en-GB",  # 24-hour time inputs, as the salon reads them
]
VIEWPORT = {"width": 1400, "height": 900}
SCREENSHOTS = Path(django_settings.VAR_DIR) / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    reasons = []
    if connection.vendor != "postgresql":
        reasons.append("browser tests run once, against PostgreSQL (the production database)")
    if CHROMIUM is None:
        if os.environ.get("CI"):
            raise pytest.UsageError("chromium is not installed; .ci/run installs it with apt")
        reasons.append("chromium is not installed (apt install chromium)")
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.live)
            for reason in reasons:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package")
def browser():
    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls from a
    # thread with a running loop. The tests' ORM calls are synchronous and never overlap a page
    # call, so they are safe; the flag is set for these tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Page:
    """A Playwright page bound to the live server, collecting CSP violations and page errors."""

    def __init__(self, page, base_url: str, name: str):
        self.page = page
        self.base_url = base_url
        self.name = name
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))

    def _console(self, message):
        if "Content Security Policy" in message.text or message.type == "error":
            self.problems.append(f"console {message.type}: {message.text}")

    def goto(self, path: str):
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 400, f"{path} answered {response and response.status}"
        return response

    def login(self, email: str, password: str = PASSWORD):
        """Log in through the admin's login form, as a person does."""
        self.goto("/admin/login/?next=/admin/")
        self.page.fill("input[name=username]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("input[type=submit]")
        self.page.wait_for_url(self.base_url + "/admin/")

    def screenshot(self, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def __getattr__(self, name):
        return getattr(self.page, name)


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context per test: the salon's zone is the browser's, English, 1400 px wide."""
    zone = getattr(request, "param", None) or "Europe/Berlin"
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id=zone)
    context.set_default_timeout(15_000)
    wrapped = Page(context.new_page(), live_server.url, request.node.name)
    yield wrapped
    try:
        wrapped.screenshot("end")
    finally:
        context.close()
    assert not wrapped.problems, wrapped.problems
