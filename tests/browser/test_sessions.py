"""Sessions come and go: subscribers of closed tabs are unregistered."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from app.testing.local_server import (
    QUICK_SESSION_CLEANUP,
    LocalServer,
    serve_dashboard,
)
from tests.browser.dashboard_page import DashboardPage

pytestmark = pytest.mark.browser

# Two batches show what one tab would too, with tabs open beside each other;
# the 200-session churn is bench/bench_session_churn.py.
SESSIONS = 4
BATCH = 2
WINDOW = "window:log/sample_temperature"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--frame-period",
            "0.1",
            "--simulated-rate",
            "10",
            "--keys",
            "log/sample_temperature",
        ],
        serve_args=QUICK_SESSION_CLEANUP,
    ) as server:
        yield server


def counts(status: str) -> tuple[int, int]:
    match = re.search(r"(\d+) sessions · (\d+) subscribers", status)
    assert match, status
    return int(match[1]), int(match[2])


STATUS_COUNTS = (
    "(doc) => { const m = /(\\d+) sessions · (\\d+) subscribers/"
    ".exec(doc.get_model_by_name('status').text);"
    " return m ? [Number(m[1]), Number(m[2])] : null; }"
)


def test_tabs_opened_and_closed_leave_subscriber_count_as_it_began(
    server: LocalServer, chromium: Browser
) -> None:
    context = chromium.new_context()
    observer = DashboardPage(context.new_page()).open(server.url)
    observer.wait_for_data(WINDOW, "time")
    # The status changes once a second: it may still count the plots the
    # session was building when it connected (they come in slices).
    observer.wait_for(
        "(doc, expected) => { const c = (" + STATUS_COUNTS + ")(doc);"
        " return c && c[0] === 1 && c[1] === 2; }"
    )
    sessions, per_session = counts(observer.status())
    assert (sessions, per_session) == (1, 2)

    for _ in range(SESSIONS // BATCH):
        tabs = [DashboardPage(context.new_page()) for _ in range(BATCH)]
        for tab in tabs:
            tab.page.goto(server.url, wait_until="commit")
        for tab in tabs:
            # Data in the window means the session connected and subscribed.
            tab.wait_until_connected()
            tab.wait_for_data(WINDOW, "time")
        observer.wait_for(
            "(doc, n) => { const c = (" + STATUS_COUNTS + ")(doc);"
            " return c && c[0] >= n && c[1] >= 2 * n; }",
            BATCH + 1,
        )
        for tab in tabs:
            tab.page.close()

    # A GET that never opens a websocket must not subscribe anything either.
    assert server.get() == 200
    observer.wait_for(
        "(doc) => { const c = (" + STATUS_COUNTS + ")(doc);"
        " return c && c[0] === 1 && c[1] === 2; }"
    )
    context.close()
