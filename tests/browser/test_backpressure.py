"""A browser that cannot keep up gets fewer frames, never a queue of them."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage

pytestmark = pytest.mark.browser

WINDOW = "window:log/sample_temperature"
RATE_HZ = 10

# In the page: for every frame number that arrives, how many frames were sent
# since the page last acknowledged one (1 means the server waited for it).
WATCH_FRAMES = """(doc) => {
    const number = doc.get_model_by_name('frame-number');
    const ack = doc.get_model_by_name('frame-ack');
    window.unacknowledged = [];
    number.change.connect(() => {
        const acked = ack.tags.length ? ack.tags[0] : 0;
        window.unacknowledged.push(number.tags[0] - acked);
    });
    return true;
}"""


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--frame-period",
            "0.1",
            "--simulated-rate",
            str(RATE_HZ),
            "--window-size",
            "40",
            "--keys",
            "log/sample_temperature",
        ]
    ) as server:
        yield server


def test_a_slowed_browser_is_sent_one_frame_at_a_time_and_loses_no_window_row(
    server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(server.url)
    dashboard.wait_for_rows(WINDOW, "time", 40)
    dashboard.wait_for(WATCH_FRAMES)
    with dashboard.too_busy_to_keep_up():
        # Slowed, the page still acknowledges frames, one at a time, and
        # misses whole frame periods (decision 100), which its note counts.
        dashboard.wait_for("() => window.unacknowledged.length >= 5")
        dashboard.wait_for(
            "(doc) => /frames skipped|behind/.test("
            "doc.get_model_by_name('frames-note').text)"
        )
    assert set(dashboard.evaluate("() => window.unacknowledged")) == {1}
    # Caught up, the window holds every frame of its span: no row went missing.
    dashboard.wait_for(
        "(doc, [s, n]) => { const t = doc.get_model_by_name(s).data.time;"
        " if (t.length !== n) return false;"
        " for (let i = 1; i < n; i++) { const gap = t[i] - t[i - 1];"
        " if (gap < 50 || gap > 150) return false; } return true; }",
        [WINDOW, 40],
    )
