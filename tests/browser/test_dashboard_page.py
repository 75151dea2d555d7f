"""The dashboard in headless chromium: plots render, data flows, windows hold n."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = pytest.mark.browser

WINDOW = "window:log/sample_temperature"
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
def one_window() -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--frame-period",
            "0.1",
            "--simulated-rate",
            "10",
            "--window-size",
            "5",
            "--keys",
            "log/sample_temperature",
        ]
    ) as server:
        yield server


def test_every_plot_renders_with_data(
    full_layout: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(full_layout.url)
    for source, column in SOURCES.items():
        dashboard.wait_for_data(source, column)
    # One canvas per figure, and one per value panel (three logs, the scan's counts).
    figures = len([name for name in SOURCES if not name.startswith("window:monitor")])
    browser_page.locator(".bk-Canvas").nth(figures + 3).wait_for()
    assert browser_page.locator(".bk-Canvas").count() == figures + 4
    values = ("log/sample_temperature", "log/motor_x", "log/proton_current")
    for key in (*values, "detector/scan_counts"):
        text = dashboard.evaluate(
            "(doc, k) => doc.get_model_by_name('value:' + k).data.text.join(' ')", key
        )
        assert "age" in text
    # The status line is refreshed once a second: wait for a measured rate.
    dashboard.wait_for(
        "(doc) => /[0-9] msg\\/s /.test(doc.get_model_by_name('status').text)"
    )
    assert "simulated instrument" in dashboard.status()


def test_image_and_line_data_change_between_two_reads(
    full_layout: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(full_layout.url)
    dashboard.wait_for_rows("line:monitor/m1", "y", 200)
    dashboard.wait_for_rows("image:detector/panel_0", "image", 1)
    first_line = dashboard.column("line:monitor/m1", "y")
    first_image = dashboard.evaluate(
        "(doc) => Array.from(doc.get_model_by_name('image:detector/panel_0')"
        ".data.image[0].slice(0, 4096))"
    )
    dashboard.wait_for(
        "(doc, old) => { const y = doc.get_model_by_name('line:monitor/m1').data.y;"
        " return y.some((v, i) => v !== old[i]); }",
        first_line,
    )
    dashboard.wait_for(
        "(doc, old) => { const im = doc.get_model_by_name('image:detector/panel_0')"
        ".data.image[0]; return old.some((v, i) => v !== im[i]); }",
        first_image,
    )


def test_sliding_window_holds_exactly_n_points_and_never_more(
    one_window: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(one_window.url)
    dashboard.wait_for_rows(WINDOW, "time", 5)
    # Record the largest length the browser's source ever has, update by update.
    dashboard.evaluate(
        "(doc) => { const s = doc.get_model_by_name('window:log/sample_temperature');"
        " window.windowUpdates = 0; window.windowMax = s.data.time.length;"
        " const seen = () => { window.windowUpdates += 1;"
        " window.windowMax = Math.max(window.windowMax, s.data.time.length); };"
        " s.streaming.connect(seen); s.change.connect(seen); }"
    )
    newest = dashboard.column(WINDOW, "time")[-1]
    dashboard.wait_for("() => window.windowUpdates >= 10")
    times = dashboard.column(WINDOW, "time")
    assert dashboard.evaluate("() => window.windowMax") == 5
    assert len(times) == 5
    assert times[-1] > newest
    assert times == sorted(times)


def test_changing_n_in_the_ui_takes_effect(
    one_window: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(one_window.url)
    dashboard.wait_for_rows(WINDOW, "time", 5)
    open_settings(dashboard.card("window", "log/sample_temperature"))
    size = browser_page.locator(".window-size input")
    size.fill("3")
    size.press("Enter")
    dashboard.wait_for_rows(WINDOW, "time", 3)
    size.fill("12")
    size.press("Enter")
    # The buffer grows to 12 and fills with new frames.
    dashboard.wait_for_rows(WINDOW, "time", 12)


def test_log_toggles_switch_the_scales(
    full_layout: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(full_layout.url)
    dashboard.wait_for_rows("line:monitor/m1", "y", 200)
    # A toggle builds a new figure; BokehJS keeps the old models, so look for any.
    scales_of = (
        "(doc, name) => Array.from(doc._all_models.values()).filter("
        "m => m.y_scale && m.name === name).map(m => m.y_scale.type)"
    )
    assert "LogScale" not in dashboard.evaluate(scales_of, "figure:line:monitor/m1")
    line, image = (
        open_settings(dashboard.card(kind, key)).locator("input[type=checkbox]")
        for kind, key in (("line", "monitor/m1"), ("image", "detector/panel_0"))
    )
    line.check()
    dashboard.wait_for(
        f"(doc, name) => ({scales_of})(doc, name).includes('LogScale')",
        "figure:line:monitor/m1",
    )
    image.check()
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('figure:image:detector/panel_0')"
        ".renderers[0].glyph.color_mapper.type === 'LogColorMapper'"
    )
