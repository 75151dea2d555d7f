"""Tests of app/recording/replay.py: identity, pacing, loop, start, status."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import pytest
import scipp as sc

from app.data import DataService, FullHistoryExtractor
from app.ingestion.process import Ingestion
from app.recording.replay import ReplaySource
from app.recording.writer import Recorder
from app.sources.codec import Decoder
from app.sources.message import Message
from app.sources.simulated import LOG_UNITS, SimulatedInstrument
from app.sources.wire import OverTheWire, WireRecord, to_record
from tests.recording.support import T0
from tests.waiting import poll_until

TICK_NS = 200_000_000  # the simulated instrument's 5 Hz


def _record_simulated(directory: Path, ticks: int) -> list[Message]:
    """Record `ticks` ticks of the simulated instrument as a dashboard with
    ``--record`` does; return the messages that dashboard applied."""
    now = [T0]
    recorder = Recorder(directory)
    source = OverTheWire(
        SimulatedInstrument(seed=7, clock=lambda: now[0]),
        recorder.record,
        decoder=Decoder(LOG_UNITS),
        clock=lambda: now[0],
    )
    applied: list[Message] = []
    for _ in range(ticks):
        applied += source.get_messages()
        now[0] += TICK_NS
    recorder.close()
    return applied


def _drain(source: ReplaySource) -> list[Message]:
    messages: list[Message] = []
    while batch := source.get_messages():
        messages += batch
    return messages


def _assert_identical(replayed: list[Message], recorded: list[Message]) -> None:
    assert len(replayed) == len(recorded)
    for again, message in zip(replayed, recorded, strict=True):
        assert (again.key, again.timestamp) == (message.key, message.timestamp)
        assert sc.identical(again.value, message.value), message.key


def test_a_replay_at_max_speed_gives_every_value_as_it_was_applied(
    tmp_path: Path,
) -> None:
    recorded = _record_simulated(tmp_path, ticks=20)

    replayed = _drain(ReplaySource(tmp_path, speed=math.inf, log_units=LOG_UNITS))

    _assert_identical(replayed, recorded)


def test_a_replay_into_the_ingestion_fills_the_buffers_as_recorded(
    tmp_path: Path,
) -> None:
    recorded = _record_simulated(tmp_path, ticks=30)
    source = ReplaySource(tmp_path, speed=math.inf, log_units=LOG_UNITS)
    ingestion = Ingestion(source, ingest_period_s=0.01, data_service=DataService())
    seen: dict[str, sc.DataArray] = {}

    class Everything:
        def __init__(self) -> None:
            self.keys = {message.key for message in recorded}
            self.extractors = {key: FullHistoryExtractor() for key in self.keys}

        def trigger(self, store: Mapping[str, sc.DataArray]) -> None:
            seen.update(store)

    ingestion.data_service.register_subscriber(Everything())
    ingestion.start()
    try:
        poll_until(lambda: ingestion.orchestrator.stats.applied == len(recorded))
    finally:
        ingestion.stop()

    for key in {message.key for message in recorded}:
        frames = [m.value for m in recorded if m.key == key]
        assert sc.identical(seen[key], sc.concat(frames, "time")), key


def _records(arrivals_s: list[float]) -> list[WireRecord]:
    instrument = SimulatedInstrument(seed=1, streams=["log/motor_x"])
    return [
        to_record(instrument.tick(T0 + round(s * 1e9))[0], T0 + round(s * 1e9))
        for s in arrivals_s
    ]


def _recording(directory: Path, records: list[WireRecord]) -> Path:
    recorder = Recorder(directory)
    recorder.record(records)
    recorder.close()
    return directory


def test_a_replay_hands_out_records_when_due_at_its_speed(tmp_path: Path) -> None:
    _recording(tmp_path, _records([0.0, 1.0, 2.0, 10.0]))
    now = [0]
    source = ReplaySource(tmp_path, speed=10.0, clock=lambda: now[0])

    assert len(source.get_messages()) == 1  # the first at once
    now[0] += 50_000_000  # 0.5 s recorded
    assert source.get_messages() == []
    now[0] += 50_000_000  # 1 s recorded
    assert len(source.get_messages()) == 1
    now[0] += 850_000_000  # 9.5 s recorded
    assert len(source.get_messages()) == 1
    assert not source.finished
    now[0] += 50_000_000
    assert len(source.get_messages()) == 1
    assert source.get_messages() == []
    assert source.finished


def test_a_looping_replay_starts_again_right_after_its_end(tmp_path: Path) -> None:
    _recording(tmp_path, _records([0.0, 1.0]))
    now = [0]
    source = ReplaySource(tmp_path, speed=1.0, loop=True, clock=lambda: now[0])

    timestamps = []
    for _ in range(5):
        timestamps += [m.timestamp for m in source.get_messages()]
        now[0] += 1_000_000_000

    # Each call hands out a pass's last record and the next pass's first.
    assert timestamps == [T0, T0 + 1_000_000_000] * 4 + [T0]
    assert "pass 5" in source.status.description


def test_a_replay_starts_at_its_start_time_or_offset(tmp_path: Path) -> None:
    _recording(tmp_path, _records([0.0, 1.0, 2.0, 3.0]))

    by_offset = _drain(ReplaySource(tmp_path, speed=math.inf, start_offset_s=1.5))
    by_time = _drain(
        ReplaySource(tmp_path, speed=math.inf, start_ns=T0 + 3_000_000_000)
    )

    assert [m.timestamp - T0 for m in by_offset] == [2_000_000_000, 3_000_000_000]
    assert [m.timestamp - T0 for m in by_time] == [3_000_000_000]


def test_the_status_says_replay_and_its_speed(tmp_path: Path) -> None:
    _recording(tmp_path, _records([0.0]))

    status = ReplaySource(tmp_path, speed=10.0).status
    fastest = ReplaySource(tmp_path, speed=math.inf).status

    assert status.replay == "REPLAY 10x"
    assert status.description.startswith("replay 10x of ")
    assert fastest.replay == "REPLAY max"


def test_an_undecodable_record_costs_that_record_alone(tmp_path: Path) -> None:
    good = _records([0.0, 1.0])
    bad = WireRecord("data", 0, 0, 0, None, b"garbage!", T0 + 500_000_000)
    _recording(tmp_path, [good[0], bad, good[1]])
    source = ReplaySource(tmp_path, speed=math.inf)

    assert len(_drain(source)) == 2
    assert sum(source.status.lost.values()) == 1


def test_a_path_without_recordings_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no recording"):
        ReplaySource(tmp_path)


def test_a_kafka_record_recorded_by_two_workers_is_replayed_once(
    tmp_path: Path,
) -> None:
    records = [
        WireRecord("data", 0, offset, 0, None, payload.value, payload.arrived_ns)
        for offset, payload in enumerate(_records([0.0, 1.0, 2.0]))
    ]
    # Two workers of one server; the second ran a record longer.
    for worker in (records[:2], records):
        recorder = Recorder(tmp_path)
        recorder.record(worker)
        recorder.close()

    replayed = _drain(ReplaySource(tmp_path, speed=math.inf))

    assert [m.timestamp - T0 for m in replayed] == [0, 1_000_000_000, 2_000_000_000]
