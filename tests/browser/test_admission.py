"""A served process full of sessions tells the next one; a closed one frees a place."""

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from app.testing.load_client import LoadClientProcess
from app.testing.local_server import (
    QUICK_SESSION_CLEANUP,
    LocalServer,
    serve_dashboard,
)
from tests.browser.dashboard_page import TIMEOUT_MS, DashboardPage

pytestmark = pytest.mark.browser

MAX_SESSIONS = 2


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(
        ["--max-sessions", str(MAX_SESSIONS), "--keys", "log/sample_temperature"],
        serve_args=QUICK_SESSION_CLEANUP,
    ) as server:
        yield server


def test_a_session_beyond_the_limit_gets_a_full_page_and_a_place_once_one_closes(
    server: LocalServer, chromium: Browser
) -> None:
    sessions = LoadClientProcess(server.url, sessions=MAX_SESSIONS, seconds=600)
    try:
        sessions.wait_for(lambda line: "opened" in line, 60, "of opened sessions")
        page = chromium.new_context().new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server.url)
        full = page.locator(".bk-clearfix", has_text="This dashboard is full")
        full.first.wait_for()
        text = full.first.inner_text()
        assert f"already serves {MAX_SESSIONS} sessions" in text
        assert "another worker or host" in text
        assert page.title() == "Dashboard full"
    finally:
        sessions.kill()
    # The headless sessions' sockets closed: the server drops them and a
    # reload gets the dashboard (polled: the drop takes a moment).
    dashboard = DashboardPage(page)
    deadline = time.monotonic() + 60
    while True:
        page.reload()
        dashboard.wait_until_connected()
        if page.title() != "Dashboard full" or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)  # polling interval, bounded by the deadline
    dashboard.wait_until_built()
    assert "sessions" in dashboard.status()
    page.context.close()
