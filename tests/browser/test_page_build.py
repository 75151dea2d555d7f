"""How a page's plots reach headless chromium: in slices after it connected, in
the layout's order, and in the same order after a reload."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.page.layout_file import Layout
from app.page.session import PLOTS_PER_SLICE
from app.plot_spec import PlotSpec
from app.testing.local_server import LocalServer, serve_dashboard
from app.testing.many_plots import many_plots
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = pytest.mark.browser

PLOTS = PLOTS_PER_SLICE + 1
"""More than a whole slice, so the page needs three at least: the first slice
is a single plot (its cost sets the next one's size)."""
BUILD_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(["--frame-period", "0.2"]) as server:
        yield server


def document_message(frames: list[str | bytes]) -> str:
    """The content of the reply that carried the page's document (a Bokeh
    message is a header, a metadata and a content frame, then any buffers)."""
    for index, frame in enumerate(frames):
        header = isinstance(frame, str) and frame.startswith('{"msgid"')
        if header and json.loads(frame).get("msgtype") == "PULL-DOC-REPLY":
            return frames[index + 2]
    raise AssertionError("the page never received its document")


def test_a_page_of_many_plots_fills_in_after_its_first_message_and_ends_with_all(
    server: LocalServer, browser_page: Page
) -> None:
    frames: list[str | bytes] = []
    browser_page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)),
    )
    dashboard = DashboardPage(browser_page)
    # Opening waits for the whole build: the build's own time, however loaded
    # the machine.
    browser_page.set_default_timeout(BUILD_TIMEOUT_MS)
    dashboard.open(f"{server.url}?layout={many_plots(PLOTS).to_url()}")
    cards = browser_page.locator(".plot-card")
    expect(cards).to_have_count(PLOTS, timeout=BUILD_TIMEOUT_MS)
    # The document went out before its plots: they followed in slices.
    assert document_message(frames).count("plot-card") < PLOTS
    progress = "(doc) => doc.get_model_by_name('build-progress').text === ''"
    dashboard.wait_for(progress)


def test_a_changed_view_keeps_its_place_and_a_reload_keeps_the_order(
    server: LocalServer, browser_page: Page
) -> None:
    keys = ["log/sample_temperature", "log/motor_x", "log/proton_current"]
    layout = Layout(tuple(PlotSpec(key, "window", frames=20) for key in keys))
    dashboard = DashboardPage(browser_page)
    dashboard.open(f"{server.url}?layout={layout.to_url()}")
    # Each card's header begins with its key.
    labels = browser_page.locator(".plot-key")
    expect(labels).to_contain_text(keys, timeout=BUILD_TIMEOUT_MS)
    opened = browser_page.url
    open_settings(browser_page.locator(".plot-card").first)
    browser_page.locator(".plot-view select").first.select_option(label="last 5 min")
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('time-window:log/sample_temperature')"
    )
    expect(labels).to_contain_text(keys)
    # The page's address now carries the changed layout.
    browser_page.wait_for_function("(opened) => location.href !== opened", arg=opened)
    browser_page.reload()
    dashboard.wait_until_connected()
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('time-window:log/sample_temperature')"
    )
    expect(labels).to_contain_text(keys, timeout=BUILD_TIMEOUT_MS)
