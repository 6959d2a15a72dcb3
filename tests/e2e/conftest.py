"""Browser fixtures for the e2e suite: Debian's Chromium driven by Playwright's sync API.

One Chromium serves the whole tests/e2e package (launching it costs seconds); every
person in a test (a customer, an agent) gets a fresh browser context of their own, so
cookies and localStorage never leak from one person, or one test, to the next.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    expect,
    sync_playwright,
)

from tests.conftest import LiveServer, require_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The machine is shared and often busy: generous, but every wait is still bounded.
WAIT_MS = 15_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    require_service(
        "Chromium", CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    )
    # Playwright's sync API marks its event loop as running in this thread between calls,
    # so Django's ORM (the tests' setup, pytest-django's flush after each test) would stop
    # with SynchronousOnlyOperation. No coroutine touches the ORM in this thread (the live
    # server does its ORM work in threads of its own), so it is safe to allow, and only
    # while this package's browser lives: the rest of the suite keeps Django's guard.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


class People:
    """Opens a browser context per person and watches every page for dialogs and errors."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []
        self.dialogs: list[str] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []

    def new_page(self, **context_options: Any) -> Page:
        context = self.browser.new_context(
            base_url=self.server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            **context_options,
        )
        context.set_default_timeout(WAIT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("console", self._on_console)
        return page

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people_browsing(browser: Browser, live_server_asgi: LiveServer) -> Iterator[People]:
    """`people_browsing.new_page()` for each person; any uncaught script error fails the test."""
    people = People(browser, live_server_asgi)
    try:
        yield people
    finally:
        people.close()
    assert people.page_errors == [], "a page threw an uncaught script error"


class Screenshots:
    """Saves test-output/e2e/<test name>-<step>.png for a reviewer to look at."""

    def __init__(self, folder: Path, test_name: str) -> None:
        self.folder = folder
        self.prefix = re.sub(r"[^\w.-]+", "_", test_name).strip("_")
        self.taken: list[Path] = []

    def __call__(self, page: Page, step: str) -> Path:
        path = self.folder / f"{self.prefix}-{step}.png"
        page.screenshot(path=str(path))
        self.taken.append(path)
        return path


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, output_dir: Path) -> Screenshots:
    folder = output_dir / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    return Screenshots(folder, request.node.name)
