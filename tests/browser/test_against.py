"""An "against" plot and a divided plot in headless chromium (decision 090)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from playwright.sync_api import Page

from app.page.layout_file import Layout
from app.plot_spec import AGAINST, WINDOW, PlotSpec
from app.sources.simulated import (
    MOTOR_X,
    PROTON_CURRENT,
    SCAN_COUNTS,
    SCAN_PEAK_MM,
    SCAN_STEP_MM,
)
from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage

pytestmark = pytest.mark.browser

LAYOUT = Layout(
    (
        PlotSpec(SCAN_COUNTS, AGAINST, x_key=MOTOR_X),
        PlotSpec(PROTON_CURRENT, WINDOW, frames=100),
        PlotSpec(SCAN_COUNTS, WINDOW, frames=100, divide_by=PROTON_CURRENT),
    )
)
WINDOWS = (f"window:{PROTON_CURRENT}", f"window:{SCAN_COUNTS}")
COLUMNS_JS = (
    "(doc, names) => names.map((name) => { const d = doc.get_model_by_name(name).data;"
    " return Object.fromEntries(Object.keys(d).map((k) => [k, Array.from(d[k])])); })"
)
PAST_THE_PEAK_MM = SCAN_PEAK_MM + 5 * SCAN_STEP_MM


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    keys = ",".join((MOTOR_X, PROTON_CURRENT, SCAN_COUNTS))
    with serve_dashboard(
        ["--frame-period", "0.1", "--simulated-rate", "10", "--keys", keys]
    ) as server:
        yield server


def test_the_scan_peaks_at_its_known_position_and_a_divided_plot_shows_the_ratio(
    server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(
        f"{server.url}?layout={LAYOUT.to_url()}"
    )
    source = f"against:{SCAN_COUNTS}"
    dashboard.wait_for(
        "(doc, [s, past]) => { const m = doc.get_model_by_name(s);"
        " return m && Array.from(m.data.x).some((x) => x >= past); }",
        [source, PAST_THE_PEAK_MM],
    )
    # Read at one moment: the page streams on between two reads.
    columns = dashboard.evaluate(COLUMNS_JS, [source, *WINDOWS])
    x, y = np.array(columns[0]["x"]), np.array(columns[0]["y"])
    positions = np.unique(x)
    means = [y[x == position].mean() for position in positions]
    assert positions[int(np.argmax(means))] == pytest.approx(SCAN_PEAK_MM, abs=4)
    # The divided window: each frame's counts over the current at its time
    # (both are stamped by the same tick), as the page's own columns hold them.
    counts = dict(zip(columns[0]["time"], y, strict=True))
    current, divided = (
        dict(zip(c["time"], c["value"], strict=True)) for c in columns[1:]
    )
    shared = sorted(set(counts) & set(current) & set(divided))
    assert len(shared) >= 10
    for t in shared:
        assert divided[t] == pytest.approx(counts[t] / current[t], rel=1e-6)
    title = dashboard.header(f"figure:window:{SCAN_COUNTS}")
    assert f"/ {PROTON_CURRENT}" in title
    assert "[counts/uA]" in title
