"""Custom views in headless chromium: a failing or slow view costs its card only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from app.page.layout_file import Layout
from app.plot_spec import PlotSpec
from app.testing.local_server import LocalServer, serve_dashboard
from app.testing.views import FAILING, HISTOGRAM, SLOW
from tests.browser.dashboard_page import DashboardPage, shared_tab

pytestmark = pytest.mark.browser

LAYOUT = Layout(
    (
        PlotSpec("detector/panel_0", SLOW),
        PlotSpec("log/motor_x", FAILING),
        PlotSpec("log/sample_temperature"),
    )
)
OTHER = Layout((PlotSpec("log/sample_temperature"),))
SLOW_HEADER = f"custom:{SLOW}:detector/panel_0"
# The slow view's curve: the image's first 200 pixels.
SLOW_CURVE = (
    "(doc) => { for (const m of doc._all_models.values()) {"
    " if (m.data && m.data.x && m.data.y && m.data.y.length === 200)"
    " return Array.from(m.data.y); } return null; }"
)
FRAME_NUMBER = "(doc) => doc.get_model_by_name('frame-number').tags[0]"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    layout = tmp_path_factory.mktemp("layout") / "views.json"
    layout.write_text(LAYOUT.to_json())
    keys = "detector/panel_0,log/motor_x,log/sample_temperature"
    with serve_dashboard(
        [
            *("--frame-period", "0.1", "--simulated-rate", "10", "--keys", keys),
            *("--views", "app.testing.views", "--layout", str(layout)),
        ]
    ) as server:
        yield server


def header(name: str, part: str) -> str:
    """A predicate: the header Div `name` holds `part`; returns its text."""
    return (
        f"(doc) => {{ const m = doc.get_model_by_name({name!r});"
        f" return m && m.text.includes({part!r}) && m.text; }}"
    )


def test_plots_of_one_view_for_different_keys_keep_their_own_axes(
    server: LocalServer, browser_page: Page
) -> None:
    two = Layout(
        (
            PlotSpec("log/sample_temperature", HISTOGRAM),
            PlotSpec("log/motor_x", HISTOGRAM),
        )
    )
    dashboard = DashboardPage(browser_page).open(f"{server.url}?layout={two.to_url()}")
    for key in ("log/sample_temperature", "log/motor_x"):
        dashboard.wait_for(header(f"custom:{HISTOGRAM}:{key}", "age"))
    x_ranges = dashboard.wait_for(
        "(doc) => { const ids = [...doc._all_models.values()]"
        ".filter((m) => m.x_range && m.renderers && m.renderers.length)"
        ".map((m) => m.x_range.id); return ids.length === 2 && ids; }"
    )
    assert x_ranges[0] != x_ranges[1]


@pytest.fixture(scope="module")
def default_page(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab on the server's layout for the failing and the slow view's tests,
    which read it: a tab each would cost seconds each. They come last: this
    tab's slow view, open till the module ends, holds a worker thread."""
    with shared_tab(chromium, server.url) as tab:
        yield tab


def test_a_failing_view_says_so_on_its_card_and_the_page_draws_the_rest(
    default_page: DashboardPage,
) -> None:
    text = default_page.wait_for(header(f"custom:{FAILING}:log/motor_x", "cannot draw"))
    assert "this view fails on purpose" in text
    default_page.wait_for_data("value:log/sample_temperature", "text")


def test_a_slow_view_is_said_slow_and_another_session_keeps_its_frames(
    server: LocalServer, default_page: DashboardPage, chromium: Browser
) -> None:
    slow = default_page
    assert "detector/panel_0" in slow.wait_for(header(SLOW_HEADER, "slow:"))
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    try:
        other = DashboardPage(context.new_page()).open(
            f"{server.url}?layout={OTHER.to_url()}"
        )
        other.wait_for_data("value:log/sample_temperature", "text")
        # Each run of the slow view holds a worker thread for 2 s: the other
        # session draws frames meanwhile, the loop never waits for the view.
        curve = slow.wait_for(SLOW_CURVE)
        changed = f"(doc, old) => {{ const c = ({SLOW_CURVE})(doc);"
        changed += " return c && c.some((v, i) => v !== old[i]) && c; }"
        curve = slow.wait_for(changed, curve)
        before = other.evaluate(FRAME_NUMBER)
        slow.wait_for(changed, curve)
        assert other.evaluate(FRAME_NUMBER) - before >= 3
    finally:
        context.close()
