"""The dashboard in headless chromium: plots render, data flows, windows hold n."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser

from app.page.layout_file import Layout
from app.plot_spec import WINDOW as VIEW_WINDOW
from app.plot_spec import PlotSpec
from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = pytest.mark.browser

WINDOW = "window:log/sample_temperature"
ONE_WINDOW = Layout((PlotSpec("log/sample_temperature", VIEW_WINDOW, frames=5),))
SOURCES = {
    "image:detector/panel_0": "image",
    "line:monitor/m1": "y",
    "line:monitor/m2": "y",
    "window:monitor/m1": "row",
    "waterfall:monitor/m1": "image",
    "window:monitor/m2": "row",
    "waterfall:monitor/m2": "image",
    WINDOW: "value",
    "window:log/motor_x": "value",
    "window:log/proton_current": "value",
    "window:detector/scan_counts": "value",
}


@pytest.fixture(scope="module")
def full_layout() -> Iterator[LocalServer]:
    with serve_dashboard(
        ["--frame-period", "0.1", "--simulated-rate", "10", "--window-size", "50"]
    ) as server:
        yield server


@pytest.fixture(scope="module")
def full_page(full_layout: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab on the full layout for the module's tests, which change it only
    last (the log toggles): a tab each would cost seconds each. They come after
    the single window's: this tab, open till the module ends, would draw
    beside them."""
    with opened(full_layout, chromium) as dashboard:
        yield dashboard


@pytest.fixture(scope="module")
def window_page(full_layout: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab on a single window of 5 frames, a layout of its own on the same
    server (a server of its own would cost seconds); the test that changes its
    n comes last."""
    with opened(full_layout, chromium, f"?layout={ONE_WINDOW.to_url()}") as dashboard:
        yield dashboard


@contextmanager
def opened(
    server: LocalServer, chromium: Browser, query: str = ""
) -> Iterator[DashboardPage]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    try:
        yield DashboardPage(context.new_page()).open(server.url + query)
    finally:
        context.close()


def test_sliding_window_holds_exactly_n_points_and_never_more(
    window_page: DashboardPage,
) -> None:
    window_page.wait_for_rows(WINDOW, "time", 5)
    # Record the largest length the browser's source ever has, update by update.
    window_page.evaluate(
        "(doc) => { const s = doc.get_model_by_name('window:log/sample_temperature');"
        " window.windowUpdates = 0; window.windowMax = s.data.time.length;"
        " const seen = () => { window.windowUpdates += 1;"
        " window.windowMax = Math.max(window.windowMax, s.data.time.length); };"
        " s.streaming.connect(seen); s.change.connect(seen); }"
    )
    newest = window_page.column(WINDOW, "time")[-1]
    window_page.wait_for("() => window.windowUpdates >= 10")
    times = window_page.column(WINDOW, "time")
    assert window_page.evaluate("() => window.windowMax") == 5
    assert len(times) == 5
    assert times[-1] > newest
    assert times == sorted(times)


def test_changing_n_in_the_ui_takes_effect(
    window_page: DashboardPage,
) -> None:
    window_page.wait_for_rows(WINDOW, "time", 5)
    open_settings(window_page.card("window", "log/sample_temperature"))
    size = window_page.page.locator(".window-size input")
    size.fill("3")
    size.press("Enter")
    window_page.wait_for_rows(WINDOW, "time", 3)
    size.fill("12")
    size.press("Enter")
    # The buffer grows to 12 and fills with new frames.
    window_page.wait_for_rows(WINDOW, "time", 12)


def test_every_plot_renders_with_data(
    full_page: DashboardPage,
) -> None:
    for source, column in SOURCES.items():
        full_page.wait_for_data(source, column)
    # One canvas per figure, and one per value panel (three logs, the scan's counts).
    figures = len([name for name in SOURCES if not name.startswith("window:monitor")])
    full_page.page.locator(".bk-Canvas").nth(figures + 3).wait_for()
    assert full_page.page.locator(".bk-Canvas").count() == figures + 4
    values = ("log/sample_temperature", "log/motor_x", "log/proton_current")
    for key in (*values, "detector/scan_counts"):
        text = full_page.evaluate(
            "(doc, k) => doc.get_model_by_name('value:' + k).data.text.join(' ')", key
        )
        assert "age" in text
    # The status line is refreshed once a second: wait for a measured rate.
    full_page.wait_for(
        "(doc) => /[0-9] msg\\/s /.test(doc.get_model_by_name('status').text)"
    )
    assert "simulated instrument" in full_page.status()


def test_image_and_line_data_change_between_two_reads(
    full_page: DashboardPage,
) -> None:
    full_page.wait_for_rows("line:monitor/m1", "y", 200)
    full_page.wait_for_rows("image:detector/panel_0", "image", 1)
    first_line = full_page.column("line:monitor/m1", "y")
    first_image = full_page.evaluate(
        "(doc) => Array.from(doc.get_model_by_name('image:detector/panel_0')"
        ".data.image[0].slice(0, 4096))"
    )
    full_page.wait_for(
        "(doc, old) => { const y = doc.get_model_by_name('line:monitor/m1').data.y;"
        " return y.some((v, i) => v !== old[i]); }",
        first_line,
    )
    full_page.wait_for(
        "(doc, old) => { const im = doc.get_model_by_name('image:detector/panel_0')"
        ".data.image[0]; return old.some((v, i) => v !== im[i]); }",
        first_image,
    )


def test_log_toggles_switch_the_scales(
    full_page: DashboardPage,
) -> None:
    full_page.wait_for_rows("line:monitor/m1", "y", 200)
    # A toggle builds a new figure; BokehJS keeps the old models, so look for any.
    scales_of = (
        "(doc, name) => Array.from(doc._all_models.values()).filter("
        "m => m.y_scale && m.name === name).map(m => m.y_scale.type)"
    )
    assert "LogScale" not in full_page.evaluate(scales_of, "figure:line:monitor/m1")
    line, image = (
        open_settings(full_page.card(kind, key)).locator("input[type=checkbox]")
        for kind, key in (("line", "monitor/m1"), ("image", "detector/panel_0"))
    )
    line.check()
    full_page.wait_for(
        f"(doc, name) => ({scales_of})(doc, name).includes('LogScale')",
        "figure:line:monitor/m1",
    )
    image.check()
    full_page.wait_for(
        "(doc) => doc.get_model_by_name('figure:image:detector/panel_0')"
        ".renderers[0].glyph.color_mapper.type === 'LogColorMapper'"
    )
