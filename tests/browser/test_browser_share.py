"""What a tab costs its browser: plots out of view wait, paints skip CSS lookups."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage

pytestmark = pytest.mark.browser

FIGURE = "figure:window:log/proton_current"
SOURCE = "window:log/proton_current"
HIDDEN = (
    "(doc, name) => doc.get_model_by_name('hidden-plots').tags"
    ".includes(doc.get_model_by_name(name).id)"
)
# How old the newest row of a window is, by the browser's clock.
AGE_MS = "(doc, name) => { const t = doc.get_model_by_name(name).data.time;"
AGE_MS += " return t.length ? Date.now() - t[t.length - 1] : null; }"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard([]) as server:
        yield server


def test_a_plot_below_the_fold_is_reported_and_catches_up_once_scrolled_into_view(
    server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(server.url)
    dashboard.wait_for_data(SOURCE, "time")
    # The default layout's last window lies below a 1400 x 1200 viewport.
    dashboard.wait_for(HIDDEN, FIGURE)
    dashboard.card("window", "log/proton_current").scroll_into_view_if_needed()
    dashboard.wait_for(f"(doc, name) => !({HIDDEN})(doc, name)", FIGURE)
    # In view it is drawn every frame: its newest row is soon under 0.5 s old.
    dashboard.wait_for(
        f"(doc, name) => {{ const age = ({AGE_MS})(doc, name);"
        " return age !== null && age < 500; }",
        SOURCE,
    )


def test_the_page_paints_without_bokehs_css_lookups(
    server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(server.url)
    dashboard.wait_for_data("image:detector/panel_0", "image")
    assert dashboard.wait_for(
        "() => Bokeh.require('core/visuals/visual')"
        ".VisualProperties.prototype._css_lookups_skipped === true"
    )


# The view of the Div named `name`, found through the page's root views.
DIV_VIEW = (
    "const model = doc.get_model_by_name(name); let view = null;"
    " for (const root of Object.values(Bokeh.index)) {"
    " view = root.owner.find_one(model); if (view) break; }"
)
TEXTS = "Bokeh.require('models/widgets/div').DivView.prototype"


def test_status_texts_change_in_place_and_relayout_only_when_their_box_changes(
    server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(server.url)
    # The status line changes every second, within its box.
    dashboard.wait_for(f"() => ({TEXTS}._texts_in_place || 0) >= 3")
    shown = dashboard.evaluate(
        f"(doc, name) => {{ {DIV_VIEW} return [view.markup_el.textContent,"
        " model.text, view.el.offsetHeight]; }",
        "status",
    )
    assert shown[0] == shown[1]
    assert "msg/s" in shown[0]
    # A text that needs more room: the page is laid out again, the box grows.
    # One synchronous evaluation, so no frame from the server comes between.
    relaid, grown = dashboard.evaluate(
        f"(doc, name) => {{ {DIV_VIEW} const before = {TEXTS}._texts_relaid || 0;"
        " model.text = 'wrapped text '.repeat(60);"
        f" return [{TEXTS}._texts_relaid - before, view.el.offsetHeight]; }}",
        "status",
    )
    assert relaid == 1
    assert grown > shown[2]
