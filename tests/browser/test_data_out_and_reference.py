"""A plot's files and its reference in headless chromium: CSV, HDF5 and PNG
downloads read back against what the plot shows; a reference pinned, kept
through a reload and dropped."""

import csv
import io
import re
import struct
from collections.abc import Iterator

import numpy as np
import pytest
import scipp as sc
from playwright.sync_api import Browser, Locator, Page

from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = pytest.mark.browser

LINE = "line:monitor/m1"
IMAGE = "image:detector/panel_0"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--frame-period",
            "0.1",
            "--simulated-rate",
            "10",
            "--keys",
            "monitor/m1,detector/panel_0",
        ]
    ) as server:
        yield server


@pytest.fixture(scope="module")
def dashboard(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One page for the module's tests, which leave its plots paused."""
    context = chromium.new_context(
        viewport={"width": 1400, "height": 1200}, accept_downloads=True
    )
    page: Page = context.new_page()
    dashboard = DashboardPage(page).open(server.url)
    dashboard.wait_for_data(LINE, "y")
    dashboard.wait_for_data(IMAGE, "image")
    yield dashboard
    context.close()


def tools(dashboard: DashboardPage, kind: str, key: str) -> Locator:
    """A plot's settings, opened (its ⚙): the downloads and the reference."""
    settings = dashboard.card(kind, key).locator(".plot-settings-panel")
    if settings.count() and settings.is_visible():
        return settings
    return open_settings(dashboard.card(kind, key))


def paused(dashboard: DashboardPage, kind: str, key: str) -> None:
    """Pause a plot, so what it shows stays put while the test reads it."""
    is_paused = "(doc, name) => doc.get_model_by_name(name).text.includes('· paused')"
    header = f"header:{kind}:{key}"
    if not dashboard.evaluate(is_paused, header):
        dashboard.card(kind, key).get_by_role("button", name="pause").click()
    dashboard.wait_for(is_paused, header)


def downloaded(dashboard: DashboardPage, button: Locator) -> tuple[str, bytes]:
    with dashboard.page.expect_download() as download:
        button.click()
    path = download.value.path()
    return download.value.suggested_filename, path.read_bytes()


def test_csv_of_a_spectrum_holds_the_values_the_line_shows(
    dashboard: DashboardPage,
) -> None:
    paused(dashboard, "line", "monitor/m1")
    settings = tools(dashboard, "line", "monitor/m1")
    shown = dashboard.column(LINE, "y")

    name, data = downloaded(dashboard, settings.locator(".download-csv button"))

    assert re.fullmatch(r"monitor-m1_latest_\d{8}T\d{6}Z\.csv", name), name
    header, *rows = list(csv.reader(io.StringIO(data.decode())))
    assert header[:3] == ["tof low [µs]", "tof high [µs]", "value [counts]"]
    values = np.array([float(row[2]) for row in rows])
    np.testing.assert_allclose(values, shown)


def test_hdf5_of_an_image_reads_back_with_scipp_as_the_image_shows(
    dashboard: DashboardPage,
) -> None:
    paused(dashboard, "image", "detector/panel_0")
    settings = tools(dashboard, "image", "detector/panel_0")
    shown = np.array(dashboard.column(IMAGE, "image")[0])
    assert not settings.locator(".download-csv").count()  # CSV holds 0-D and 1-D

    name, data = downloaded(dashboard, settings.locator(".download-h5 button"))

    assert re.fullmatch(r"detector-panel_0_latest_\d{8}T\d{6}Z\.h5", name), name
    image = sc.io.load_hdf5(io.BytesIO(data))
    assert image.dims == ("y", "x")
    assert image.unit == "counts"
    np.testing.assert_allclose(image.values.ravel(), shown, rtol=1e-6)


def test_the_toolbars_png_is_named_after_key_view_and_time(
    dashboard: DashboardPage,
) -> None:
    paused(dashboard, "line", "monitor/m1")  # its name stays put meanwhile
    line = dashboard.card("line", "monitor/m1")
    if line.locator(".plot-settings-panel").is_visible():
        line.locator(".plot-settings button").click()  # the toolbar shows again
    stem = dashboard.wait_for(
        "(doc) => { const f = doc.get_model_by_name('figure:line:monitor/m1');"
        " const s = f.toolbar.tools.find(t => t.type === 'SaveTool');"
        " return s.filename && s.filename.startsWith('monitor-m1_latest_20')"
        " && s.filename; }"
    )
    line.hover()
    name, data = downloaded(dashboard, line.locator(".bk-tool-icon-save"))

    assert name in (stem, f"{stem}.png")
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])
    size = dashboard.evaluate(
        "(doc) => { const f = doc.get_model_by_name('figure:line:monitor/m1');"
        " const box = Bokeh.index.find_one(f).bbox;"
        " return [box.width * devicePixelRatio, box.height * devicePixelRatio]; }"
    )
    assert [width, height] == size


# BokehJS forgets models a change took off the page only some 30 s later: of
# the plots named alike, the one drawn is the one with a view.
DRAWN_FIGURE_JS = """(doc) => [...doc.all_models].find(m =>
    m.name === 'figure:line:monitor/m1' && Bokeh.index.find_one(m) != null)"""


def drawn(dashboard: DashboardPage, prefix: str) -> list[float] | None:
    """The y of the drawn line plot's source named ``prefix:monitor/m1``."""
    return dashboard.evaluate(
        f"(doc, name) => {{ const f = ({DRAWN_FIGURE_JS})(doc);"
        " const r = f && f.renderers.find(r => r.data_source.name === name);"
        " return r ? Array.from(r.data_source.data.y) : null; }",
        f"{prefix}:monitor/m1",
    )


def wait_for_drawn(dashboard: DashboardPage, prefix: str, present: bool) -> None:
    dashboard.wait_for(
        f"(doc, [name, present]) => {{ const f = ({DRAWN_FIGURE_JS})(doc);"
        " return Boolean(f) && present === f.renderers.some("
        "r => r.data_source.name === name && r.data_source.data.y.length > 0); }",
        [f"{prefix}:monitor/m1", present],
    )


def test_a_reference_is_pinned_kept_through_a_reload_and_dropped(
    dashboard: DashboardPage,
) -> None:
    paused(dashboard, "line", "monitor/m1")
    settings = tools(dashboard, "line", "monitor/m1")
    pinned = dashboard.column(LINE, "y")

    settings.get_by_role("button", name="keep as reference").click()

    wait_for_drawn(dashboard, "reference", present=True)
    assert drawn(dashboard, "reference") == pinned
    # The live line goes on beside it, unpaused.
    dashboard.wait_for(
        f"(doc, old) => {{ const f = ({DRAWN_FIGURE_JS})(doc);"
        " const r = f.renderers.find(r => r.data_source.name === 'line:monitor/m1');"
        " return Array.from(r.data_source.data.y).some((v, i) => v !== old[i]); }",
        pinned,
    )
    assert '"reference":' in dashboard.evaluate(
        "(doc) => atob(doc.get_model_by_name('layout-state').text"
        ".replace(/-/g, '+').replace(/_/g, '/'))"
    )

    dashboard.page.reload()
    dashboard.wait_until_connected()
    dashboard.wait_until_built()
    wait_for_drawn(dashboard, "reference", present=True)
    assert drawn(dashboard, "reference") == pinned

    tools(dashboard, "line", "monitor/m1").get_by_role(
        "button", name="drop reference"
    ).click()
    wait_for_drawn(dashboard, "reference", present=False)
    wait_for_drawn(dashboard, "line", present=True)
    assert "reference" not in dashboard.evaluate(
        "(doc) => atob(doc.get_model_by_name('layout-state').text"
        ".replace(/-/g, '+').replace(/_/g, '/'))"
    )
