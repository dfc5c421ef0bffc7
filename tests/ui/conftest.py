"""Headless Chromium, driven by Playwright with the system's browser (Debian's ``chromium``: browsers cannot be
downloaded here), signed in to the shared stack the way Airflow's UI is: the user's JWT in the ``_token`` cookie."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium():
    # Module, not session: Playwright's sync API keeps an event loop running in this thread while it is open, and
    # Airflow's S3 store cannot be made inside one (asyncio.run), so no other test may run until it stops.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: the tests may run as root, where Chromium's own sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture
def browser_as(chromium):
    """``browser_as(stack, "operator")``: a new page, signed in as that user of the stack (None: not signed in)."""
    contexts = []

    def open_page(stack, username: str | None):
        context = chromium.new_context(viewport={"width": 1500, "height": 900})
        contexts.append(context)
        if username:
            token = stack.as_user(username).token()
            context.add_cookies([{"name": "_token", "value": token, "url": stack.url}])
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
