"""End-to-end tests: Debian's chromium, driven by Playwright, against a live server.

Run with `make test-e2e` (and in .ci/run); `make test` leaves them out because they need
the chromium package (`apt-get install chromium`).
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # from a thread with a running loop unless told it is safe, which it is here: the
    # loop only drives the browser.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), f"chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, settings):
    """The live server, with the links in emails pointing at it."""
    settings.SITE_URL = live_server.url
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
    return live_server.url


@pytest.fixture
def new_page(browser, site):
    contexts = []

    def open_page(width: int = 1280, locale: str = "en-US"):
        """A page in a context of its own; `locale` sets the browser's language (Accept-Language)."""
        context = browser.new_context(viewport={"width": width, "height": 900}, base_url=site, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        return page

    yield open_page
    for context in contexts:
        context.close()
