"""Benchmark: what alarm limits cost the ingestion (decision 095).

1,000 0-D keys updated 1,000 times a second in total (each key once a
second), through the process's ingestion (Orchestrator -> AlarmWatch ->
KeyActivity -> DataService, with the history every key keeps) on its own
thread, paced in real time. The same stream runs twice: without limits and
with limits on every key (warn and alarm bounds, a deadband, a grace time and
a silence check; about one value in 200 crosses a bound, so transitions are
written to an alarm log in a temporary directory). Prints the process's CPU
per second of each run as a share of a core, side by side, and their
difference: what the limits cost (target <= 5 % of a core). Then what the
judging alone costs per update (the sink behind it keeps nothing), applied
as fast as the machine goes, which is steadier on a loaded machine.
"""

from __future__ import annotations

import contextlib
import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import scipp as sc

from app.alarm_limits import AlarmLimits
from app.ingestion.alarm_log import AlarmLog
from app.ingestion.alarms import AlarmWatch
from app.ingestion.process import Ingestion, default_history
from app.options import DashboardOptions
from app.sources.message import Message, SourceStatus, stamped

KEYS = [f"log/sensor_{i:04d}" for i in range(1_000)]
RATE_HZ = 1_000
SECONDS = 5.0
REPEATS = 3
INGEST_PERIOD_S = 0.05
T0_NS = time.time_ns()
LIMITS = AlarmLimits(
    warn_low=280.0,
    warn_high=300.0,
    alarm_high=305.0,
    deadband=0.5,
    grace_s=1.0,
    stale_s=30.0,
)


def messages(count: int) -> list[Message]:
    """``count`` updates, key after key; about one in 200 beyond warn_high."""
    rng = np.random.default_rng(1)
    values = 290.0 + 4.0 * rng.standard_normal(count)
    return [
        Message(
            KEYS[i % len(KEYS)],
            stamped(sc.DataArray(sc.scalar(values[i], unit="K")), T0_NS + i),
            T0_NS + i,
        )
        for i in range(count)
    ]


class PacedSource:
    """Hands out the prepared messages at `RATE_HZ`, as time goes by."""

    def __init__(self, prepared: list[Message]) -> None:
        self._prepared = prepared
        self._handed = 0
        self._started = time.monotonic()

    def get_messages(self) -> list[Message]:
        due = min(
            len(self._prepared), int((time.monotonic() - self._started) * RATE_HZ)
        )
        batch = self._prepared[self._handed : due]
        self._handed = due
        return batch

    @property
    def done(self) -> bool:
        return self._handed >= len(self._prepared)

    def close(self) -> None:
        pass

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(connected=True, description="paced")


def ingestion(source: object, with_limits: bool, state_dir: Path) -> Ingestion:
    made = Ingestion(
        source,
        ingest_period_s=INGEST_PERIOD_S,
        history=default_history(DashboardOptions()),
        alarm_log=AlarmLog(state_dir),
    )
    if with_limits:
        made.alarms.set_limits(dict.fromkeys(KEYS, LIMITS))
    return made


def paced_share(prepared: list[Message], with_limits: bool, state_dir: Path) -> float:
    """The process's CPU seconds per second while the stream runs."""
    source = PacedSource(prepared)
    running = ingestion(source, with_limits, state_dir)
    cpu, wall = time.process_time(), time.monotonic()
    running.start()
    while not source.done or running.orchestrator.pending:
        time.sleep(0.05)  # the main thread only waits
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    running.stop()
    return cpu / wall


class NullSink:
    """Takes every value and keeps none: what the judging alone costs."""

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def __setitem__(self, key: str, value: object) -> None:
        pass


def judging_us(prepared: list[Message], with_limits: bool) -> float:
    """CPU microseconds per update of the `AlarmWatch` alone (a sink that
    keeps nothing behind it), applied batch after batch."""
    watch = AlarmWatch(NullSink())
    if with_limits:
        watch.set_limits(dict.fromkeys(KEYS, LIMITS))
    batch = 1_000
    began = time.process_time()
    for start in range(0, len(prepared), batch):
        for message in prepared[start : start + batch]:
            watch[message.key] = message.value
        watch.tick()
    return (time.process_time() - began) / len(prepared) * 1e6


def main() -> None:
    # The transitions' log lines would drown the figures; the file keeps them.
    logging.getLogger("app.ingestion.alarm_log").setLevel(logging.ERROR)
    prepared = messages(int(RATE_HZ * SECONDS))
    print(
        f"{len(KEYS)} 0-D keys, {RATE_HZ} updates/s in total, {SECONDS:g} s a run, "
        f"median of {REPEATS}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-alarms-") as directory:
        state_dir = Path(directory)
        shares: dict[bool, list[float]] = {False: [], True: []}
        costs: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(REPEATS):
            for with_limits in (False, True):
                shares[with_limits].append(
                    paced_share(prepared, with_limits, state_dir)
                )
                costs[with_limits].append(judging_us(prepared, with_limits))
        transitions = (state_dir / "alarms.jsonl").read_text().count("\n")
    without, with_ = (statistics.median(shares[flag]) * 100 for flag in (False, True))
    difference = with_ - without
    print(f"{'':28} {'no limits':>10} {'limits':>10} {'difference':>11}")
    print(
        f"{'ingestion CPU, of a core':28} {without:9.2f}% {with_:9.2f}% "
        f"{difference:+10.2f}%   (target: limits <= 5%)"
    )
    bare, judged = (statistics.median(costs[flag]) for flag in (False, True))
    print(
        f"{'judging alone, per update':28} {bare:8.2f}us {judged:8.2f}us "
        f"{judged - bare:+9.2f}us   (x {RATE_HZ}/s: "
        f"{(judged - bare) * RATE_HZ / 1e4:.2f}% of a core)"
    )
    print(f"transitions written to the alarm log over all runs: {transitions}")
    print("met" if difference <= 5.0 else "NOT met: the limits cost more than 5%")


if __name__ == "__main__":
    main()
