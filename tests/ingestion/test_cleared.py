"""Tests of app/ingestion/cleared.py: a history cleared before a restart is
not filled again by the restore or the look-back."""

from __future__ import annotations

import time
from pathlib import Path

import scipp as sc

from app.audit import AuditLog
from app.ingestion.process import make_restoring_source
from app.options import DashboardOptions
from app.recording.writer import Recorder
from app.roles import CLEAR_HISTORY
from app.sources.codec import encode_f144
from app.sources.message import Message
from app.sources.wire import NO_PARTITION, WireRecord
from tests.waiting import poll_until

CLEARED = "log/cleared_by_alice"
KEPT = "log/never_cleared"


def _record(key: str, i: int, at_ns: int) -> WireRecord:
    return WireRecord(
        topic="",
        partition=NO_PARTITION,
        offset=NO_PARTITION,
        timestamp_ms=at_ns // 1_000_000,
        key=None,
        value=encode_f144(key, sc.scalar(float(i)), at_ns),
        arrived_ns=at_ns,
    )


def test_a_history_cleared_before_a_restart_is_not_restored(tmp_path: Path) -> None:
    now_ns = time.time_ns()
    # Ten values of each key, one a second; alice cleared one key 5.5 s ago.
    stamps = [now_ns - s * 1_000_000_000 for s in range(10, 0, -1)]
    recorder = Recorder(tmp_path / "recording")
    recorder.record(
        [_record(key, i, at) for i, at in enumerate(stamps) for key in (CLEARED, KEPT)]
    )
    recorder.close()
    cleared_ns = now_ns - 5_500_000_000
    AuditLog(tmp_path / "state").record(
        "alice", CLEAR_HISTORY, CLEARED, at_ns=cleared_ns
    )

    options = DashboardOptions(
        record_dir=str(tmp_path / "recording"),
        state_dir=str(tmp_path / "state"),
        keys=("log/sample_temperature",),
    )
    source, again = make_restoring_source(options)
    got: list[Message] = []
    try:
        poll_until(
            lambda: (
                bool(got.extend(source.get_messages()))
                or "restoring" not in source.status.description
            )
        )
        got.extend(source.get_messages())
    finally:
        source.close()
        assert again is not None
        again.close()

    assert [m.timestamp for m in got if m.key == KEPT] == stamps
    assert [m.timestamp for m in got if m.key == CLEARED] == stamps[5:]
