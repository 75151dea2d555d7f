"""The operator's page in headless chromium: shell, pill, key browser, plot views,
layouts that persist, and a custom HoloViews view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from app.page.layout_file import Layout
from app.plot_spec import PlotSpec
from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import (
    TIMEOUT_MS,
    DashboardPage,
    open_settings,
    shared_tab,
)

pytestmark = pytest.mark.browser

FAST = ["--frame-period", "0.1", "--simulated-rate", "10"]
# The shortest memory of losses: a tab that skipped frames while it opened on a
# loaded machine says live within 10 s, not the default 30 s, which is as long
# as a test waits for it.
QUICK_TO_FORGET = ["--losses-remembered", "10"]
# No spectra: their waterfalls' browser-side stacking sends each frame's image
# back to the server, which slows every click of a test on a busy machine.
KEYS = ["--keys", "log/sample_temperature,log/motor_x,detector/panel_0"]


@pytest.fixture(scope="module")
def page_server() -> Iterator[LocalServer]:
    with serve_dashboard(
        [*FAST, *QUICK_TO_FORGET, *KEYS, "--title", "DREAM"]
    ) as server:
        yield server


@pytest.fixture(scope="module")
def layout_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("layout") / "layout.json"
    layout = Layout((PlotSpec("log/motor_x", "time_window", seconds=60.0),))
    path.write_text(layout.to_json())
    return path


@pytest.fixture(scope="module")
def layout_server(layout_file: Path) -> Iterator[LocalServer]:
    with serve_dashboard([*FAST, *KEYS, "--layout", str(layout_file)]) as server:
        yield server


def cards_of(page: Page, key: str) -> Locator:
    """The cards whose header names `key`: a card's settings, which name other
    keys in their divide menu, are closed until opened."""
    return page.locator(".plot-card").filter(has_text=key)


def has_model(name: str) -> str:
    return f"(doc) => doc.get_model_by_name('{name}') !== null"


def add_key(page: Page, key: str, view: str) -> None:
    """Search the key browser for one key and add it in `view`."""
    page.locator(".key-add-as select").select_option(view)
    page.locator(".key-search input").fill(key)
    buttons = page.locator(".key-add button")
    # The search runs on the server: wait until the list holds the key alone.
    expect(buttons).to_have_count(1, timeout=TIMEOUT_MS)
    buttons.filter(has_text=key).click()


def test_search_narrows_the_key_list_and_one_click_adds_a_plot(
    page_server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(page_server.url)
    browser_page.locator(".key-count").filter(has_text="3 keys").wait_for()
    add_key(browser_page, "detector/panel_0", "aggregate")
    dashboard.wait_for_data("aggregate:detector/panel_0", "image")
    title = dashboard.wait_for(
        "(doc) => Array.from(doc._all_models.values())"
        ".map(m => m.name && m.name.startsWith('header:') && m.text)"
        ".find(t => t && t.includes('sum of the last 10 s'))"
    )
    assert title.startswith("detector/panel_0")


def test_a_removed_plot_leaves_the_page(
    page_server: LocalServer, browser_page: Page
) -> None:
    DashboardPage(browser_page).open(page_server.url)
    cards = browser_page.locator(".plot-card")
    expect(cards.first).to_contain_text("log/sample_temperature", timeout=TIMEOUT_MS)
    expect(cards_of(browser_page, "log/sample_temperature")).to_have_count(2)
    before = cards.count()
    browser_page.locator(".plot-remove button").first.click()
    # BokehJS may keep a removed model: what counts is what the page shows.
    expect(cards).to_have_count(before - 1, timeout=TIMEOUT_MS)
    # The value panel is gone; the key's time series stays.
    expect(cards_of(browser_page, "log/sample_temperature")).to_have_count(1)


def test_a_plot_changes_to_a_time_window_in_place(
    page_server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(page_server.url)
    dashboard.wait_for(has_model("value:log/motor_x"))
    cards = browser_page.locator(".plot-card")
    before = cards.count()
    settings = open_settings(cards.nth(1))
    settings.locator(".plot-view select").select_option(label="last 5 min")
    dashboard.wait_for_data("time-window:log/motor_x", "value")
    # The value panel of log/motor_x became its time window, in its place.
    expect(cards).to_have_count(before)
    expect(cards_of(browser_page, "log/motor_x")).to_have_count(2)


def test_the_layout_survives_a_reload_and_travels_in_the_url(
    page_server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(page_server.url)
    add_key(browser_page, "detector/panel_0", "aggregate")
    dashboard.wait_for_data("aggregate:detector/panel_0", "image")
    browser_page.wait_for_url("**layout=**")
    link = browser_page.url
    # A reload of the plain address restores this browser's layout.
    dashboard.open(page_server.url)
    browser_page.wait_for_url("**layout=**")
    dashboard.wait_until_connected()
    dashboard.wait_for_data("aggregate:detector/panel_0", "image")
    # The link opens the same view in a browser that never saw it.
    other = browser_page.context.browser.new_context()
    try:
        page = DashboardPage(other.new_page()).open(link)
        page.wait_for_data("aggregate:detector/panel_0", "image")
    finally:
        other.close()
    # "Default layout" forgets it: the URL and this browser's copy.
    cards = browser_page.locator(".plot-card")
    before = cards.count()
    browser_page.locator(".layout-reset button").click()
    expect(cards).to_have_count(before - 1, timeout=TIMEOUT_MS)
    browser_page.wait_for_function("() => !location.search.includes('layout=')")
    assert browser_page.evaluate("localStorage.getItem('dashboard-layout')") is None


def test_a_layout_file_sets_the_default_of_every_new_session(
    layout_server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(layout_server.url)
    dashboard.wait_for_data("time-window:log/motor_x", "value")
    assert dashboard.evaluate(has_model("image:detector/panel_0")) is False
    assert "layout=" not in browser_page.url


def test_a_bad_layout_in_the_url_is_said_and_the_default_shown(
    layout_server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(
        layout_server.url + "?layout=bm90IGpzb24"
    )
    message = dashboard.wait_for(
        "(doc) => doc.get_model_by_name('layout-message').text"
    )
    assert "not JSON" in message
    dashboard.wait_for_data("time-window:log/motor_x", "value")


def test_a_custom_holoviews_view_draws_the_pixel_histogram_live(
    page_server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(page_server.url)
    add_key(browser_page, "detector/panel_0", "pixel histogram")
    # The header of the built-in plots: the key, its unit and its age.
    header = dashboard.wait_for(
        "(doc) => { const m = doc.get_model_by_name("
        "'custom:pixel histogram:detector/panel_0');"
        " return m && m.text.includes('age') && m.text; }"
    )
    assert "detector/panel_0 [counts]" in header
    histogram = (
        "(doc) => { for (const m of doc._all_models.values()) {"
        " if (m.data && m.data.top && m.data.top.length === 50)"
        " return Array.from(m.data.top); } return null; }"
    )
    first = dashboard.wait_for(histogram)
    assert sum(first) == 128 * 128
    dashboard.wait_for(
        f"(doc, old) => {{ const now = ({histogram})(doc);"
        " return now && now.some((v, i) => v !== old[i]); }",
        first,
    )


@pytest.fixture(scope="module")
def default_tab(page_server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab on the default layout for the tests that leave it as it is (the
    theme switch, which reloads it dark, comes last): a tab each would cost
    seconds each. They come last, so this tab does not draw beside the
    others'."""
    with shared_tab(chromium, page_server.url) as tab:
        yield tab


def test_header_names_the_instrument_and_the_pill_says_live_in_green(
    default_tab: DashboardPage,
) -> None:
    assert "DREAM" in default_tab.page.locator("#header").inner_text()
    text = default_tab.wait_for(
        "(doc) => { const t = doc.get_model_by_name('status-pill').text;"
        " return t.includes('LIVE') && t; }"
    )
    assert "#2e9d3e" in text
    default_tab.wait_for(
        "(doc) => / msg\\/s /.test(doc.get_model_by_name('status').text)"
    )
    assert " of " in default_tab.status()  # memory against the budget


def test_a_menu_choice_another_card_shows_returns_to_the_cards_own_view(
    default_tab: DashboardPage,
) -> None:
    default_tab.wait_for(has_model("value:log/motor_x"))
    cards = cards_of(default_tab.page, "log/motor_x")
    expect(cards).to_have_count(2, timeout=TIMEOUT_MS)
    for index in range(2):
        open_settings(cards.nth(index))
    menus = cards.locator(".plot-view select")
    expect(menus).to_have_count(2)
    own, other = menus.nth(0).input_value(), menus.nth(1).input_value()
    menus.nth(0).select_option(value=other)
    message = default_tab.wait_for(
        "(doc) => { const t = doc.get_model_by_name('layout-message').text;"
        " return t.includes('already shown') && t; }"
    )
    assert "log/motor_x is already shown as" in message
    expect(menus.nth(0)).to_have_value(own, timeout=TIMEOUT_MS)
    expect(menus).to_have_count(2)


def test_the_page_downloads_its_layout_as_a_layout_file(
    default_tab: DashboardPage, tmp_path: Path
) -> None:
    default_tab.wait_for(has_model("image:detector/panel_0"))
    with default_tab.page.expect_download() as download:
        default_tab.page.locator(".layout-download").click()
    path = tmp_path / "layout.json"
    download.value.save_as(path)
    document = json.loads(path.read_text())
    assert document["version"] == 1
    assert {"key": "detector/panel_0", "view": "latest"} in document["plots"]


def test_the_sidebar_toggle_gives_the_plots_the_whole_width_and_back(
    default_tab: DashboardPage,
) -> None:
    page = default_tab.page
    sidebar, main = page.locator("#sidebar"), page.locator("#main")
    narrow = main.bounding_box()["width"]
    page.locator("#sidebar-toggle").click()
    expect(sidebar).to_be_hidden()
    assert main.bounding_box()["width"] > narrow + 300
    page.locator("#sidebar-toggle").click()
    expect(sidebar).to_be_visible()
    assert main.bounding_box()["width"] == narrow


def test_theme_switch_turns_the_page_dark(default_tab: DashboardPage) -> None:
    # Last on the shared tab: the switch reloads it, dark.
    page = default_tab.page
    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.locator("#theme-switch").click()
    page.wait_for_url("**theme=dark**")
    default_tab.wait_until_connected()
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light
    channels = [int(c) for c in dark[dark.index("(") + 1 : -1].split(",")[:3]]
    assert sum(channels) < 3 * 100
