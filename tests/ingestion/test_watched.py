"""Tests of app/ingestion/watched.py: what the pages watched is noted in the
state directory, and a restart keeps as much of those keys."""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.data import DataService, Retention, TimeWindowExtractor
from app.ingestion.process import Ingestion, default_history
from app.ingestion.watched import REFRESH_S, WATCHED_FILE, WatchedHistory
from app.options import DashboardOptions
from app.sources.simulated import SAMPLE_TEMPERATURE, SimulatedInstrument
from tests.data.test_service import Recorder
from tests.ingestion.test_process import ManualClock

NOW = 1_800_000_000_000_000_000


def test_what_buffers_keep_is_noted_when_it_changes_and_refreshed_once_a_minute(
    tmp_path: Path,
) -> None:
    watched = WatchedHistory(tmp_path)
    retentions = {
        "log/a": Retention(frames=100, seconds=300.0),
        "log/b": Retention(),  # the latest only: nothing to note
        ("not", "json"): Retention(frames=5),
    }

    assert watched.note(retentions, NOW)
    assert not watched.note(retentions, NOW + 1_000_000_000)
    assert watched.note(retentions, NOW + round(REFRESH_S * 1e9))

    document = json.loads((tmp_path / WATCHED_FILE).read_text())
    assert document == {
        "log/a": {
            "frames": 100,
            "seconds": 300.0,
            "at_ns": NOW + round(REFRESH_S * 1e9),
        }
    }
    assert watched.kept(since_ns=NOW) == {"log/a": Retention(frames=100, seconds=300.0)}
    assert WatchedHistory(tmp_path).kept(since_ns=NOW + 10**12) == {}


def test_a_time_window_watched_before_a_restart_keeps_its_frames_after_it(
    tmp_path: Path,
) -> None:
    # Before the restart, a page watched ten seconds of the temperature.
    before = DataService()
    before.register_subscriber(Recorder({SAMPLE_TEMPERATURE: TimeWindowExtractor(10)}))
    WatchedHistory(tmp_path).note(before.watched_retentions(), time.time_ns())

    # The restarted process restores before any page opens.
    options = DashboardOptions(window_size=20)
    kept = WatchedHistory(tmp_path).kept(since_ns=time.time_ns() - 3600 * 10**9)
    clock = ManualClock()
    source = SimulatedInstrument(
        rate_hz=10.0, streams=[SAMPLE_TEMPERATURE], clock=clock
    )
    ingestion = Ingestion(
        source, ingest_period_s=1.0, history=default_history(options, kept)
    )
    for _ in range(30):  # 300 ticks before any session
        clock.now_ns += 1_000_000_000
        while ingestion.orchestrator.update():
            pass
    page = Recorder({SAMPLE_TEMPERATURE: TimeWindowExtractor(10)})
    ingestion.data_service.register_subscriber(page, replay=True)

    assert page.stores[-1][SAMPLE_TEMPERATURE].sizes["time"] == 101  # 10 s at 10 Hz
