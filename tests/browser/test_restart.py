"""A dashboard killed with ``kill -9`` and started again shows the frames it
showed before, then live ones, none twice (decision 028)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

from app.page.layout_file import Layout
from app.plot_spec import WINDOW, PlotSpec
from app.testing.local_server import serve_dashboard
from tests.browser.dashboard_page import DashboardPage

pytestmark = [pytest.mark.browser, pytest.mark.server]

KEY = "log/sample_temperature"
SOURCE = f"window:{KEY}"
FRAMES = 200
# The buffers keep this many frames of the key: enough for what was restored
# and what came live before the second page reads them.
KEPT = 2_000
RATE_HZ = 50
LAST_SECOND_MS = 1_000.0


def _link(frames: int) -> str:
    return "?layout=" + Layout((PlotSpec(KEY, WINDOW, frames=frames),)).to_url()


def _window(dashboard: DashboardPage) -> list[tuple[float, float]]:
    """The window's (time in ms, value) pairs, as the browser holds them."""
    # Read at once: a frame may come between two reads.
    times, values = dashboard.evaluate(
        "(doc, s) => { const d = doc.get_model_by_name(s).data;"
        " return [Array.from(d.time), Array.from(d.value)]; }",
        SOURCE,
    )
    return list(zip(times, values, strict=True))


def test_a_window_after_kill_9_and_restart_shows_its_frames_then_live_ones(
    browser_page: Page, tmp_path: Path
) -> None:
    # The same state and recording directories for both runs.
    env = {"DASHBOARD_STATE_DIR": str(tmp_path / "state")}
    args = [
        "--record",
        str(tmp_path / "recording"),
        "--simulated-rate",
        str(RATE_HZ),
        "--frame-period",
        "0.1",
        "--window-size",
        str(KEPT),
        "--keys",
        KEY,
    ]
    with serve_dashboard(args, env=env) as server:
        dashboard = DashboardPage(browser_page).open(server.url + _link(FRAMES))
        dashboard.wait_for_rows(SOURCE, "time", FRAMES)
        before = _window(dashboard)
        killed_ms = time.time() * 1000
        # A crash: the server's process group (it leads its session), by its id.
        os.killpg(server.pid, signal.SIGKILL)
        server.process.wait(10)
    browser_page.goto("about:blank")

    with serve_dashboard(args, env=env) as server:
        dashboard = DashboardPage(browser_page).open(server.url + _link(KEPT))
        # Live frames: stamped after the kill.
        dashboard.wait_for(
            "(doc, [s, t]) => { const m = doc.get_model_by_name(s);"
            " return m && m.data.time.length > 0"
            " && m.data.time[m.data.time.length - 1] > t; }",
            [SOURCE, killed_ms],
        )
        after = _window(dashboard)

    times = [t for t, _ in after]
    assert times == sorted(set(times)), "a frame shown twice or out of order"
    # Every frame shown before, but for at most its last second, with its value.
    kept = [frame for frame in before if frame[0] <= before[-1][0] - LAST_SECOND_MS]
    start = times.index(before[0][0])
    assert after[start : start + len(kept)] == kept
    assert len(kept) >= FRAMES - RATE_HZ
    # Then what was recorded after them, then live data.
    assert times[-1] > killed_ms
