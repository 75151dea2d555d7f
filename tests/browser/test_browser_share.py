"""What a tab costs its browser: plots out of view wait, BokehJS is patched."""

import time
from collections.abc import Iterator

import bokeh
import pytest
from playwright.sync_api import Browser, Page

from app.page.bokehjs_patches import PATCHES, RECORD_NAME
from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage, shared_tab

pytestmark = pytest.mark.browser

FIGURE = "figure:window:monitor/m2"
SOURCE = "window:monitor/m2"
HIDDEN = (
    "(doc, name) => !doc.get_model_by_name('plots-in-view').tags"
    ".includes(doc.get_model_by_name(name).id)"
)
# How old the newest row of a window is, by the browser's clock.
AGE_MS = "(doc, name) => { const t = doc.get_model_by_name(name).data.time;"
AGE_MS += " return t.length ? Date.now() - t[t.length - 1] : null; }"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard([]) as server:
        yield server


@pytest.fixture(scope="module")
def dashboard(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab for the tests that leave it as they found it (the scroll test,
    which needs a plot still out of view, comes first): a tab each would cost
    seconds each."""
    with shared_tab(chromium, server.url) as tab:
        yield tab


def test_a_plot_below_the_fold_is_reported_and_catches_up_once_scrolled_into_view(
    dashboard: DashboardPage,
) -> None:
    dashboard.wait_for_data(SOURCE, "time")
    # The default layout's last window (a waterfall) lies below a 1400 x 1200
    # viewport.
    dashboard.wait_for(HIDDEN, FIGURE)
    dashboard.card("window", "monitor/m2").scroll_into_view_if_needed()
    dashboard.wait_for(f"(doc, name) => !({HIDDEN})(doc, name)", FIGURE)
    # In view it is drawn every frame: its newest row is soon under 0.5 s old.
    dashboard.wait_for(
        f"(doc, name) => {{ const age = ({AGE_MS})(doc, name);"
        " return age !== null && age < 500; }",
        SOURCE,
    )


# Every patch and its count of texts, as the page recorded them.
RECORD = "() => window.__dashboardPatches"
# A figure painted twice in a row, synchronously; the second paint's calls to
# getComputedStyle and writes to a style element are counted, and the glyph
# renderers whose position sheet was ever written.
SECOND_PAINT = """(doc, name) => {
  const model = doc.get_model_by_name(name); let view = null;
  for (const root of Object.values(Bokeh.index)) {
    view = root.owner.find_one(model); if (view) break; }
  const {GlyphRendererView} = Bokeh.require("models/renderers/glyph_renderer");
  const glyphs = view.computed_renderer_views.filter(
    (renderer) => renderer instanceof GlyphRendererView);
  const counts = {computed_styles: 0, style_writes: 0};
  const computed = window.getComputedStyle;
  const text = Object.getOwnPropertyDescriptor(Node.prototype, "textContent");
  window.getComputedStyle = function (...args) {
    counts.computed_styles += 1; return computed.apply(this, args); };
  Object.defineProperty(Node.prototype, "textContent", {
    configurable: true, enumerable: text.enumerable, get: text.get,
    set(value) { if (this instanceof HTMLStyleElement) counts.style_writes += 1;
      text.set.call(this, value); } });
  try {
    view.invalidate_painters(); view.paint();
    counts.computed_styles = 0; counts.style_writes = 0;
    view.invalidate_painters(); view.paint();
  } finally {
    window.getComputedStyle = computed;
    Object.defineProperty(Node.prototype, "textContent", text);
  }
  counts.glyphs = glyphs.length;
  counts.glyph_sheets = glyphs.filter((glyph) => glyph.position.css !== "").length;
  return counts;
}"""
IMAGE_FIGURE = "figure:image:detector/panel_0"
# The page's BokehJS says it is another minor than the one pinned.
OTHER_BOKEHJS = """
Object.defineProperty(window, "Bokeh", {
  configurable: true,
  set(bokeh) {
    const other = Object.create(bokeh, {version: {value: "3.8.1"}});
    Object.defineProperty(window, "Bokeh", {
      value: other, writable: true, configurable: true, enumerable: true });
  },
});
"""


def test_every_bokehjs_patch_is_applied_on_the_pinned_bokehjs(
    dashboard: DashboardPage,
) -> None:
    record = dashboard.wait_for(RECORD)
    assert record["version"] == bokeh.__version__
    assert record["failed"] == {}
    assert record["applied"] == list(PATCHES)
    # And sends it to the server through the record Div.
    dashboard.wait_for(
        "(doc, name) => doc.get_model_by_name(name).text !== ''", RECORD_NAME
    )


def test_the_page_paints_without_css_lookups_or_unchanged_style_sheets(
    dashboard: DashboardPage,
) -> None:
    dashboard.wait_for_data("image:detector/panel_0", "image")
    dashboard.wait_for(RECORD)
    counts = dashboard.evaluate(SECOND_PAINT, IMAGE_FIGURE)
    assert counts["glyphs"] > 0
    assert counts == {
        "computed_styles": 0,
        "style_writes": 0,
        "glyphs": counts["glyphs"],
        "glyph_sheets": 0,
    }


def test_a_bokehjs_of_another_minor_is_not_patched_and_the_server_names_it(
    server: LocalServer, browser_page: Page
) -> None:
    browser_page.add_init_script(OTHER_BOKEHJS)
    dashboard = DashboardPage(browser_page).open(server.url)
    dashboard.wait_for_data("image:detector/panel_0", "image")
    record = dashboard.wait_for(RECORD)
    assert record["version"] == "3.8.1"
    assert record["applied"] == []
    # Unpatched, BokehJS asks for styles and rewrites sheets on every paint:
    # the probe of the test above sees it.
    counts = dashboard.evaluate(SECOND_PAINT, IMAGE_FIGURE)
    assert counts["computed_styles"] > 0
    assert counts["style_writes"] > 0
    assert counts["glyph_sheets"] == counts["glyphs"] > 0
    deadline = time.monotonic() + 30
    while "BokehJS 3.8.1, not 3.9.x" not in server.log():
        assert time.monotonic() < deadline, server.log()[-2000:]
        time.sleep(0.1)


# The view of the Div named `name`, found through the page's root views.
DIV_VIEW = (
    "const model = doc.get_model_by_name(name); let view = null;"
    " for (const root of Object.values(Bokeh.index)) {"
    " view = root.owner.find_one(model); if (view) break; }"
)
TEXTS = "window.__dashboardPatches.texts"


def test_status_texts_change_in_place_and_relayout_only_when_their_box_changes(
    dashboard: DashboardPage,
) -> None:
    # The status line changes every second, within its box.
    dashboard.wait_for(f"() => window.__dashboardPatches && {TEXTS}.in_place >= 3")
    shown = dashboard.evaluate(
        f"(doc, name) => {{ {DIV_VIEW} return [view.markup_el.textContent,"
        " model.text, view.el.offsetHeight]; }",
        "status",
    )
    assert shown[0] == shown[1]
    assert "msg/s" in shown[0]
    # One synchronous evaluation each, so no frame from the server comes between.
    # A text that fits (a zero-width space more): written into the element
    # shown, which BokehJS would have replaced by re-rendering the Div.
    kept, in_place = dashboard.evaluate(
        f"(doc, name) => {{ {DIV_VIEW} const markup = view.markup_el;"
        f" const before = {TEXTS}.in_place; model.text += '\\u200b';"
        " return [view.markup_el === markup && markup.textContent === model.text,"
        f" {TEXTS}.in_place - before]; }}",
        "status",
    )
    assert kept
    assert in_place == 1
    # A text that needs more room: the page is laid out again, the box grows.
    relaid, grown = dashboard.evaluate(
        f"(doc, name) => {{ {DIV_VIEW} const before = {TEXTS}.relaid;"
        " model.text = 'wrapped text '.repeat(60);"
        f" return [{TEXTS}.relaid - before, view.el.offsetHeight]; }}",
        "status",
    )
    assert relaid == 1
    assert grown > shown[2]


def test_a_plot_header_changes_its_text_and_colour_in_place(
    dashboard: DashboardPage,
) -> None:
    # A header's age changes every second on every plot: a page of a dozen
    # plots laid out again for each spent a quarter of a loaded tab's time.
    name = "header:line:monitor/m1"
    dashboard.wait_for(f"(doc) => Boolean(doc.get_model_by_name('{name}'))")
    kept, in_place, colour = dashboard.evaluate(
        f"(doc, name) => {{ {DIV_VIEW} const markup = view.markup_el;"
        f" const before = {TEXTS}.in_place;"
        " model.setv({text: model.text + '\\u200b',"
        " styles: {color: 'rgb(1, 2, 3)', 'white-space': 'nowrap'}});"
        " return [view.markup_el === markup && markup.textContent === model.text,"
        f" {TEXTS}.in_place - before, getComputedStyle(view.el).color]; }}",
        name,
    )
    assert kept
    assert in_place == 1
    assert colour == "rgb(1, 2, 3)"
