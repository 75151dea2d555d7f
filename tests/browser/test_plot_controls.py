"""One plot's controls in headless chromium: pause in its card's header; scale,
log and clear in its settings (one click on ⚙); hover and time zone."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = pytest.mark.browser

ZONE = "Asia/Kolkata"
"""Half an hour off any whole-hour zone: a formatter in UTC cannot pass by luck."""
SERIES = "window:log/sample_temperature"
WATERFALL = "window:monitor/m1"
LINE = "figure:line:monitor/m1"
IMAGE_MAPPER = (
    "(doc) => doc.get_model_by_name('figure:image:detector/panel_0')"
    ".renderers[0].glyph.color_mapper"
)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--frame-period",
            "0.1",
            "--simulated-rate",
            "10",
            "--window-size",
            "50",
            "--keys",
            "log/sample_temperature,monitor/m1,detector/panel_0",
        ]
    ) as server:
        yield server


@contextmanager
def opened(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    context = chromium.new_context(
        viewport={"width": 1400, "height": 1200}, timezone_id=ZONE
    )
    page: Page = context.new_page()
    yield DashboardPage(page).open(server.url)
    context.close()


@pytest.fixture(scope="module")
def dashboard(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab for the tests that leave the controls as they found them (pause
    resumes, a fixed range returns to auto; the clear comes last): a tab each
    would cost seconds each."""
    with opened(server, chromium) as dashboard:
        dashboard.wait_for_rows(SERIES, "time", 50)
        yield dashboard


@pytest.fixture
def own_tab(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """A tab of its own, for a test that leaves its plot zoomed and on a log
    scale. It runs first: a drag is surer without the shared tab drawing; it
    needs its line drawn, not the windows full."""
    with opened(server, chromium) as dashboard:
        dashboard.wait_for_data("line:monitor/m1", "y")
        yield dashboard


def newest(dashboard: DashboardPage, source: str) -> float:
    return dashboard.column(source, "time")[-1]


def test_log_toggle_switches_the_drawn_scale_and_keeps_the_zoom(
    own_tab: DashboardPage,
) -> None:
    card = own_tab.card("line", "monitor/m1")
    log_y = card.locator("input[type=checkbox]")
    scale_drawn = (
        "(doc) => Bokeh.index.find_one(doc.get_model_by_name("
        f"'{LINE}')).frame.y_scale.type"
    )
    open_settings(card)
    log_y.check()
    own_tab.wait_for(f"(doc) => ({scale_drawn})(doc) === 'LogScale'")
    # The settings close for the drag: they lie over the plot.
    card.locator(".plot-settings button").click()
    expect(card.locator(".plot-settings-panel")).to_be_hidden()
    own_tab.pan(card.locator(".bk-Canvas"), LINE, 40, 30)
    zoomed = own_tab.ranges(LINE)

    open_settings(card)
    log_y.uncheck()
    own_tab.wait_for(f"(doc) => ({scale_drawn})(doc) === 'LinearScale'")
    assert own_tab.ranges(LINE) == zoomed
    log_y.check()
    own_tab.wait_for(f"(doc) => ({scale_drawn})(doc) === 'LogScale'")
    assert own_tab.ranges(LINE) == zoomed


def test_pause_stops_drawing_and_resume_shows_every_frame_that_arrived_meanwhile(
    dashboard: DashboardPage,
) -> None:
    card = dashboard.card("window", "log/sample_temperature")
    card.get_by_role("button", name="pause").click()
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('header:window:log/sample_temperature')"
        ".text.includes('· paused')"
    )
    paused_at = newest(dashboard, SERIES)
    waterfall_at = newest(dashboard, WATERFALL)
    # The waterfall goes on drawing: ten ticks arrive while the series is paused.
    dashboard.wait_for(
        "(doc, t) => { const s = doc.get_model_by_name('window:monitor/m1');"
        " return s.data.time.filter(v => v > t).length >= 10; }",
        waterfall_at,
    )
    assert newest(dashboard, SERIES) == paused_at
    arrived = [t for t in dashboard.column(WATERFALL, "time") if t > paused_at]

    card.get_by_role("button", name="pause").click()
    dashboard.wait_for(
        "(doc, t) => doc.get_model_by_name('window:log/sample_temperature')"
        ".data.time.includes(t)",
        arrived[-1],
    )
    # Every tick stamps all keys alike: each frame of the pause is in the series.
    shown = set(dashboard.column(SERIES, "time"))
    assert set(arrived) <= shown
    assert len(dashboard.column(SERIES, "time")) == 50


def test_fixed_colour_range_typed_in_the_controls_reaches_the_image(
    dashboard: DashboardPage,
) -> None:
    card = dashboard.card("image", "detector/panel_0")
    open_settings(card)
    card.get_by_role("button", name="fixed").click()
    # Fixing locks the range shown (the server fills in both ends), then the
    # typed ends replace it.
    expect(card.locator(".high input")).not_to_have_value("")
    for field, value in (("low", "10"), ("high", "20")):
        box = card.locator(f".{field} input")
        box.fill(value)
        box.press("Enter")
    dashboard.wait_for(
        f"(doc) => {{ const m = ({IMAGE_MAPPER})(doc);"
        " return m.low === 10 && m.high === 20; }"
    )
    card.get_by_role("button", name="auto").click()
    dashboard.wait_for(f"(doc) => ({IMAGE_MAPPER})(doc).high !== 20")
    card.locator(".plot-settings button").click()
    expect(card.locator(".plot-settings-panel")).to_be_hidden()


def test_hover_shows_pixel_value_and_position_under_the_cursor(
    dashboard: DashboardPage,
) -> None:
    canvas = dashboard.card("image", "detector/panel_0").locator(".bk-Canvas")
    # Cards grow with their settings: the plot may lie below the viewport.
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    dashboard.page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 150)
    # The settings' buttons have tooltips too.
    tooltip = dashboard.page.locator(".bk-tooltip-content", has_text="[mm]").first
    tooltip.wait_for()
    text = tooltip.inner_text()
    assert "x [mm]" in text
    assert "y [mm]" in text
    assert "value [counts]" in text


def test_hover_shows_the_bin_edges_and_value_under_the_cursor_of_a_spectrum(
    dashboard: DashboardPage,
) -> None:
    canvas = dashboard.card("line", "monitor/m1").locator(".bk-Canvas")
    canvas.scroll_into_view_if_needed()
    # Cards grow with their settings: the plot may lie below the viewport.
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    dashboard.page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 150)
    tooltip = dashboard.page.locator(".bk-tooltip-content", has_text=" to ").first
    tooltip.wait_for()
    text = tooltip.inner_text()
    # The bin is named by its coord, with unit: "tof [µs]: 30356.9 to 30714.0".
    found = re.search(r"tof \[µs\]:\s*(\S+) to (\S+)", text)
    assert found, text
    low, high = float(found[1]), float(found[2])
    # One bin of the simulated monitor: 200 bins over a pulse of 71,428 us.
    assert high - low == pytest.approx(71_428.0 / 200, abs=0.2)  # 6 digits shown
    assert 0 <= low < high <= 71_428.0
    assert re.search(r"value:\s*\S+", text), text


def test_hover_shows_time_in_the_browser_zone_and_value_of_a_time_series(
    dashboard: DashboardPage,
) -> None:
    canvas = dashboard.card("window", "log/sample_temperature").locator(".bk-Canvas")
    # Cards grow with their settings: the plot may lie below the viewport.
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    dashboard.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 150)
    tooltip = dashboard.page.locator(".bk-tooltip-content", has_text="time").first
    tooltip.wait_for()
    stamp = re.search(r"time:\s*(\S+ \S+)", tooltip.inner_text())
    assert stamp, tooltip.inner_text()
    shown = datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S.%f")
    times = dashboard.column(SERIES, "time")
    local = [
        datetime.fromtimestamp(t / 1000, tz=UTC).astimezone(ZoneInfo(ZONE))
        for t in (times[0] - 60_000, times[-1] + 60_000)
    ]
    assert local[0].replace(tzinfo=None) <= shown <= local[1].replace(tzinfo=None)


def test_time_axis_ticks_in_the_browser_zone_and_names_it(
    dashboard: DashboardPage,
) -> None:
    axis = "(doc) => doc.get_model_by_name('time-axis:log/sample_temperature')"
    label = dashboard.wait_for(
        f"(doc) => {{ const l = ({axis})(doc).axis_label;"
        " return l.startsWith('time (') && l; }"
    )
    zone = dashboard.page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert label == f"time ({zone})"
    assert ZoneInfo(zone).utcoffset(None) == ZoneInfo(ZONE).utcoffset(None)
    tick_ms = 1_790_000_000_000
    ticks = dashboard.evaluate(
        f"(doc, t) => ({axis})(doc).formatter.doFormat([t, t + 1000], {{loc: 0}})",
        tick_ms,
    )
    local = datetime.fromtimestamp(tick_ms / 1000, tz=UTC).astimezone(ZoneInfo(ZONE))
    assert ticks[0] == local.strftime("%H:%M:%S")


def test_clear_asks_for_confirmation_then_the_history_starts_anew(
    dashboard: DashboardPage,
) -> None:
    card = dashboard.card("window", "log/sample_temperature")
    clear = open_settings(card).locator(".clear button")
    before = dashboard.column(SERIES, "time")
    clear.click()
    expect(clear).to_have_text("confirm clear?")
    clear.click()
    expect(clear).to_have_text("clear")
    # No frame from before the clear comes back: the window fills anew.
    dashboard.wait_for(
        "(doc, [name, t]) => { const s = doc.get_model_by_name(name);"
        " return s.data.time.length > 0 && s.data.time.every(v => v > t); }",
        [SERIES, before[-1]],
    )
