"""Benchmark: a recorded shift of the simulated instrument replayed at ``--speed max``.

Records `MINUTES` of the simulated instrument (5 Hz, every stream) as a
dashboard with ``--record`` does (over the wire, through the recorder's
thread), with the instrument's clock stepped rather than waited for. Then a
`ReplaySource` at max speed feeds an `Ingestion` that keeps every key's default
history, as a served dashboard does, and the time until every recorded message
is applied is taken. Prints the replay factor (recorded seconds per second of
replay), the recording's size, and whether the last value of every key is
identical to the one applied while recording.

Usage: ``python bench_replay.py [MINUTES]`` (default 10).
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

import scipp as sc

from app.data import DataService
from app.ingestion.process import Ingestion, default_history
from app.options import DashboardOptions
from app.recording.files import recording_files
from app.recording.replay import ReplaySource
from app.recording.writer import Recorder
from app.sources.codec import Decoder
from app.sources.simulated import LOG_UNITS, SimulatedInstrument
from app.sources.wire import OverTheWire

MINUTES = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
RATE_HZ = 5.0
TICK_NS = round(1e9 / RATE_HZ)


def record(directory: Path) -> tuple[int, dict[str, sc.DataArray]]:
    """Record the instrument; return the messages and each key's last value."""
    ticks = round(MINUTES * 60 * RATE_HZ)
    now = [time.time_ns() - ticks * TICK_NS]
    recorder = Recorder(directory)
    source = OverTheWire(
        SimulatedInstrument(seed=1, rate_hz=RATE_HZ, clock=lambda: now[0]),
        recorder.record,
        decoder=Decoder(LOG_UNITS),
        clock=lambda: now[0],
    )
    count = 0
    last: dict[str, sc.DataArray] = {}
    for _ in range(ticks):
        messages = source.get_messages()
        count += len(messages)
        last.update((m.key, m.value) for m in messages)
        now[0] += TICK_NS
    recorder.close()
    assert recorder.stats.dropped == 0, recorder.stats
    return count, last


def replay(directory: Path, expected: int) -> tuple[float, Ingestion]:
    """Seconds until an ingestion applied all `expected` messages at max speed."""
    source = ReplaySource(directory, speed=math.inf, log_units=LOG_UNITS)
    ingestion = Ingestion(
        source,
        ingest_period_s=DashboardOptions().ingest_period_s,
        data_service=DataService(),
        history=default_history(DashboardOptions()),
    )
    started = time.perf_counter()
    ingestion.start()
    while ingestion.orchestrator.stats.applied < expected:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    ingestion.stop()
    return elapsed, ingestion


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory)
        started = time.perf_counter()
        messages, last = record(path)
        recorded_in = time.perf_counter() - started
        size = sum(p.stat().st_size for p in recording_files(path))
        elapsed, ingestion = replay(path, messages)
        identical = all(
            sc.identical(ingestion.data_service[key], value)
            for key, value in last.items()
        )
    seconds = MINUTES * 60
    print(
        f"recorded {MINUTES:g} min of the simulated instrument: {messages} messages, "
        f"{size / 1024**2:.0f} MiB, written in {recorded_in:.1f} s"
    )
    print(
        f"replayed at --speed max in {elapsed:.1f} s: "
        f"{seconds / elapsed:.0f}x real time ({messages / elapsed:.0f} msg/s); "
        f"last values identical: {identical}"
    )


if __name__ == "__main__":
    main()
