"""The page asks nothing of another origin: a control room's network reaches
the dashboard alone, and nobody else learns who looks at what."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import TIMEOUT_MS, DashboardPage, open_settings

pytestmark = pytest.mark.browser

ARGS = [
    "--frame-period",
    "0.1",
    "--simulated-rate",
    "10",
    "--keys",
    "log/sample_temperature,detector/panel_0",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(ARGS) as server:
        yield server


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_loading_and_using_the_page_requests_nothing_from_another_origin(
    server: LocalServer, browser_page: Page
) -> None:
    requests: list[str] = []

    def record(request: Request) -> None:
        requests.append(request.url)

    browser_page.on("request", record)
    dashboard = DashboardPage(browser_page).open(server.url)
    # Use: add a plot, change a view, switch the theme, and let frames come.
    browser_page.locator(".key-add-as select").select_option("aggregate")
    browser_page.locator(".key-search input").fill("detector/panel_0")
    buttons = browser_page.locator(".key-add button")
    expect(buttons).to_have_count(1, timeout=TIMEOUT_MS)
    buttons.click()
    dashboard.wait_for_data("aggregate:detector/panel_0", "image")
    open_settings(browser_page.locator(".plot-card").first)
    browser_page.locator(".plot-view select").first.select_option(label="last 5 min")
    dashboard.wait_for_data("time-window:log/sample_temperature", "value")
    browser_page.locator("#theme-switch").click()
    browser_page.wait_for_url("**theme=dark**")
    dashboard.wait_until_connected()
    dashboard.wait_for_data("aggregate:detector/panel_0", "image")
    # A few seconds of frames: the time window grows by a second's values.
    before = len(dashboard.column("time-window:log/sample_temperature", "value"))
    dashboard.wait_for(
        "(doc, n) => doc.get_model_by_name('time-window:log/sample_temperature')"
        ".data.value.length >= n",
        before + 10,
    )
    # Fonts and icons are fetched when drawn: let the page finish what it began.
    browser_page.wait_for_load_state("networkidle")

    here = origin(server.url)
    elsewhere = [
        url
        for url in requests
        if origin(url) != here and not url.startswith(("data:", "blob:"))
    ]
    assert len(requests) > 1
    assert elsewhere == []
