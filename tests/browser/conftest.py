"""Debian's chromium driven by Playwright, and a page of the served dashboard."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Headless chromium; missing, it fails the test in CI and skips it locally."""
    if not CHROMIUM.exists():
        reason = f"browser tests need {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class DashboardPage:
    """A browser tab on the dashboard, read through BokehJS's document."""

    def __init__(self, page: Page) -> None:
        self.page = page
        page.set_default_timeout(TIMEOUT_MS)

    def open(self, url: str) -> DashboardPage:
        self.page.goto(url)
        self.wait_until_connected()
        return self

    def wait_until_connected(self) -> None:
        self.page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length", polling=50
        )

    def wait_for(self, predicate: str, arg: Any = None) -> Any:
        """Poll a JS predicate ``(doc, arg) => ...`` until it is truthy; return it."""
        # Interval polling: requestAnimationFrame stops in background tabs.
        handle = self.page.wait_for_function(
            f"(arg) => ({predicate})(Bokeh.documents[0], arg)", arg=arg, polling=50
        )
        return handle.json_value()

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Evaluate ``(doc, arg) => ...`` once."""
        return self.page.evaluate(
            f"(arg) => ({expression})(Bokeh.documents[0], arg)", arg
        )

    def column(self, source: str, column: str) -> list:
        return self.evaluate(
            "(doc, [s, c]) => Array.from(doc.get_model_by_name(s).data[c])",
            [source, column],
        )

    def wait_for_rows(self, source: str, column: str, rows: int) -> None:
        self.wait_for(
            "(doc, [s, c, n]) => { const m = doc.get_model_by_name(s);"
            " return m && m.data[c] && m.data[c].length === n; }",
            [source, column, rows],
        )

    def wait_for_data(self, source: str, column: str) -> None:
        self.wait_for(
            "(doc, [s, c]) => { const m = doc.get_model_by_name(s);"
            " return m && m.data[c] && m.data[c].length > 0; }",
            [source, column],
        )

    def status(self) -> str:
        return self.evaluate("(doc) => doc.get_model_by_name('status').text")


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    yield context.new_page()
    context.close()
