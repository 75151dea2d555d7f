"""Regions of interest in headless chromium: drawn with the mouse, summed by
the server as numpy sums them, shown by every session and after a reload."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage
from tests.data.test_regions import reference_inside

pytestmark = pytest.mark.browser

KEY = "detector/panel_0"
BOXES = f"region-boxes:{KEY}"
POLYGONS = f"region-polygons:{KEY}"
# The tool may reach the page a message after the regions' sources: the
# function waits for it (it returns false until the tool is there).
TOOL = (
    "(doc, name) => { const tool = doc.get_model_by_name(name);"
    " if (!tool) return false; tool.active = true; return true; }"
)
SAMPLE_JS = """(doc, key) => {
  const image = doc.get_model_by_name('image:' + key).data;
  const series = doc.get_model_by_name('window:' + key + '/roi/r1');
  const polygon = doc.get_model_by_name('window:' + key + '/roi/r2');
  if (!image.image.length || !series || !polygon || !series.data.time.length
      || !polygon.data.time.length) return null;
  const last = (s) => s.data.value[s.data.value.length - 1];
  return {image: Array.from(image.image[0]), shape: image.image[0].shape,
          x: image.x[0], dw: image.dw[0], y: image.y[0], dh: image.dh[0],
          box: last(series), polygon: last(polygon),
          time: series.data.time[series.data.time.length - 1]};
}"""


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--frame-period",
            "0.1",
            "--simulated-rate",
            "5",
            # The regions' keys are shown as they come, the others not at all.
            "--keys",
            f"{KEY},{KEY}/roi/r1,{KEY}/roi/r2",
        ]
    ) as server:
        yield server


def open_page(server: LocalServer, chromium: Browser) -> DashboardPage:
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    dashboard = DashboardPage(context.new_page()).open(server.url)
    dashboard.wait_for_data(f"image:{KEY}", "image")
    return dashboard


def regions_shown(dashboard: DashboardPage) -> dict:
    return dashboard.evaluate(
        "(doc, [b, p]) => { const boxes = doc.get_model_by_name(b);"
        " const polygons = doc.get_model_by_name(p);"
        " if (!boxes || !polygons) return null;"
        " return {boxes: boxes.data.name ? Array.from(boxes.data.name) : [],"
        " polygons: polygons.data.name ? Array.from(polygons.data.name) : []}; }",
        [BOXES, POLYGONS],
    )


def expected_sums(sample: dict, box: list[float], polygon: list[list[float]]):
    rows, cols = sample["shape"]
    image = np.asarray(sample["image"], dtype=np.float64).reshape(rows, cols)
    cx = sample["x"] + (np.arange(cols) + 0.5) * sample["dw"] / cols
    cy = sample["y"] + (np.arange(rows) + 0.5) * sample["dh"] / rows
    x, y, width, height = box
    in_box = (np.abs(cx[np.newaxis, :] - x) <= width / 2) & (
        np.abs(cy[:, np.newaxis] - y) <= height / 2
    )
    xs, ys = polygon
    in_polygon = np.array(
        [[reference_inside(px, py, xs, ys) for px in cx] for py in cy]
    )
    return image[in_box].sum(), image[in_polygon].sum()


def test_regions_drawn_with_the_mouse_are_summed_and_shared(
    server: LocalServer, chromium: Browser
) -> None:
    dashboard = open_page(server, chromium)
    page = dashboard.page
    card = dashboard.card("image", KEY)
    page.get_by_role("button", name="regions").click()
    dashboard.wait_for(f"(doc) => Boolean(doc.get_model_by_name('{BOXES}'))")
    canvas = card.locator(".bk-Canvas").first

    def at(fx: float, fy: float) -> tuple[float, float]:
        # Read each time: the regions' plots join the page and move the image.
        area = canvas.bounding_box()
        return area["x"] + area["width"] * fx, area["y"] + area["height"] * fy

    def plotted(name: str) -> None:
        dashboard.wait_for(
            "(doc, s) => { const m = doc.get_model_by_name(s);"
            " return m && m.data.time.length > 0; }",
            f"window:{KEY}/roi/{name}",
        )
        dashboard.wait_until_built()

    # A box: the box edit tool draws with shift and drag. A drag the browser
    # took while the page still moved (a loaded machine) draws nothing: then,
    # and only then, it is dragged again.
    drawn = "(doc, b) => doc.get_model_by_name(b).data.x.length > 0"
    boxes_js = (
        "(doc, b) => { const d = doc.get_model_by_name(b).data;"
        " return {x: Array.from(d.x), name: Array.from(d.name || [])}; }"
    )

    def drag_a_box() -> bool:
        dashboard.wait_until_built()
        # Made active before each drag: a change of the card from the server
        # (the regions' plots joining the page) may have made another active.
        dashboard.wait_for(TOOL, f"region-box-tool:{KEY}")
        page.keyboard.down("Shift")
        # Near the middle: the image keeps its aspect, so on a card alone in
        # its row (1036 x 370 px) it spans only the middle third of the
        # canvas, and a box from 0.3 of its width overlapped it by 7 of 256
        # pixel columns (by none in two clean runs under load).
        page.mouse.move(*at(0.42, 0.3))
        page.mouse.down()
        page.mouse.move(*at(0.52, 0.45), steps=12)
        page.mouse.up()
        page.keyboard.up("Shift")
        try:
            dashboard.page.wait_for_function(
                f"() => ({drawn})(Bokeh.documents[0], {BOXES!r})", timeout=10_000
            )
        except PlaywrightTimeout:
            return False
        return True

    # In two clean runs of the suite of 1,054 tests (never alone), three drags
    # in one page drew nothing with the tool active and the canvas in place;
    # the cause is not known. The page is then opened again once, and the
    # suite's warnings summary says so: drawing in a page opened anew counts.
    for opening in range(2):
        if any(drag_a_box() for _ in range(3)):
            break
        if opening == 0:
            warnings.warn(
                "regions: three drags drew no box; the page is opened again",
                stacklevel=1,
            )
            dashboard.open(server.url)
            dashboard.wait_for_data(f"image:{KEY}", "image")
            page.get_by_role("button", name="regions").click()
            dashboard.wait_for(f"(doc) => Boolean(doc.get_model_by_name('{BOXES}'))")
    # One box, drawn by one drag: a drag that drew late would make a second.
    tool_js = (
        "(doc, t) => { const tool = doc.get_model_by_name(t);"
        " return tool ? {active: tool.active} : null; }"
    )
    assert len(dashboard.evaluate(boxes_js, BOXES)["x"]) == 1, (
        dashboard.evaluate(boxes_js, BOXES),
        dashboard.evaluate(tool_js, f"region-box-tool:{KEY}"),
        canvas.bounding_box(),
    )
    try:
        dashboard.wait_for(
            "(doc, b) => { const n = doc.get_model_by_name(b).data.name;"
            " return n && n.length === 1 && n[0] === 'r1'; }",
            BOXES,
        )
    except PlaywrightTimeout:
        pytest.fail(
            f"the box was not named r1: {dashboard.evaluate(boxes_js, BOXES)}; "
            f"server log: {server.log()[-2000:]}"
        )
    plotted("r1")

    # A polygon: press (hold still) for its first vertex, click for the
    # others, Escape to end (it drops the vertex that follows the mouse).
    dashboard.wait_for(TOOL, f"region-polygon-tool:{KEY}")
    vertices = "(doc, [p, n]) => { const d = doc.get_model_by_name(p).data;"
    vertices += " return d.xs.length === 1 && d.xs[0].length === n; }"
    page.mouse.move(*at(0.5, 0.3))
    page.mouse.down()
    dashboard.wait_for(vertices, [POLYGONS, 2])
    page.mouse.up()
    page.mouse.click(*at(0.62, 0.35))
    dashboard.wait_for(vertices, [POLYGONS, 3])
    # Named by the server once the edit settled (400 ms), and summed: the
    # next click is no double click, and the page no longer moves.
    dashboard.wait_for(
        "(doc, p) => doc.get_model_by_name(p).data.name[0] === 'r2'", POLYGONS
    )
    plotted("r2")
    page.mouse.click(*at(0.55, 0.6))
    dashboard.wait_for(vertices, [POLYGONS, 4])
    page.keyboard.press("Escape")
    dashboard.wait_for(vertices, [POLYGONS, 3])
    box = dashboard.evaluate(
        "(doc, b) => { const d = doc.get_model_by_name(b).data;"
        " return [d.x[0], d.y[0], d.width[0], d.height[0]]; }",
        BOXES,
    )
    polygon = dashboard.evaluate(
        "(doc, p) => { const d = doc.get_model_by_name(p).data;"
        " return [Array.from(d.xs[0]), Array.from(d.ys[0])]; }",
        POLYGONS,
    )
    assert len(polygon[0]) == 3

    # The regions' keys appear as plots; each sum is numpy's over the frame
    # drawn with it (one session frame draws both, so most samples pair).
    matched: set[float] = set()
    deadline = time.monotonic() + 20
    while len(matched) < 3:
        assert time.monotonic() < deadline, f"only {len(matched)} frames matched"
        sample = dashboard.wait_for(SAMPLE_JS, KEY)
        if sample["time"] in matched:
            continue
        box_sum, polygon_sum = expected_sums(sample, box, polygon)
        if (sample["box"], sample["polygon"]) == (box_sum, polygon_sum):
            matched.add(sample["time"])
    # Said when not: where the box lay and where the image is.
    assert box_sum > 0, (box, {k: sample[k] for k in ("x", "y", "dw", "dh")})
    assert polygon_sum > 0

    # Another session shows them, and so does this one after a reload.
    other = open_page(server, chromium)
    expected = {"boxes": ["r1"], "polygons": ["r2"]}
    other.wait_for(
        "(doc, b) => { const m = doc.get_model_by_name(b);"
        " return m && m.data.name && m.data.name.length === 1; }",
        BOXES,
    )
    assert regions_shown(other) == expected
    page.reload()
    dashboard.wait_until_connected()
    dashboard.wait_for(
        "(doc, b) => { const m = doc.get_model_by_name(b);"
        " return m && m.data.name && m.data.name.length === 1; }",
        BOXES,
    )
    assert regions_shown(dashboard) == expected
    other.page.context.close()
    page.context.close()
