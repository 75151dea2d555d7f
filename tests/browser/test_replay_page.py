"""A replayed recording in headless chromium: the page says REPLAY and the speed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.recording.writer import Recorder
from app.sources.codec import Decoder
from app.sources.simulated import LOG_UNITS, SimulatedInstrument
from app.sources.wire import OverTheWire
from app.testing.local_server import serve_dashboard
from tests.browser.dashboard_page import DashboardPage

pytestmark = [pytest.mark.browser, pytest.mark.server]

KEY = "log/sample_temperature"


def _recording(directory: Path, seconds: int) -> None:
    """`seconds` of the simulated temperature at 5 Hz, recorded as a dashboard would."""
    now = [1_700_000_000_000_000_000]
    recorder = Recorder(directory)
    source = OverTheWire(
        SimulatedInstrument(seed=1, streams=[KEY], clock=lambda: now[0]),
        recorder.record,
        decoder=Decoder(LOG_UNITS),
        clock=lambda: now[0],
    )
    for _ in range(seconds * 5):
        source.get_messages()
        now[0] += 200_000_000
    recorder.close()


def test_a_replay_page_says_replay_and_its_speed(
    browser_page: Page, tmp_path: Path
) -> None:
    # Its temperature publishes on change: not stale after the end either.
    _recording(tmp_path, seconds=60)
    with serve_dashboard(
        ["--source", "replay", str(tmp_path), "--speed", "10", "--keys", KEY]
    ) as server:
        dashboard = DashboardPage(browser_page).open(server.url)

        expect(
            browser_page.locator("#header #page-title", has_text="REPLAY 10x")
        ).to_be_visible()
        expect(browser_page.locator(".pill", has_text="REPLAY 10x")).to_be_visible()
        dashboard.wait_for_data(f"window:{KEY}", "time")
        assert "replay 10x of" in dashboard.status()
