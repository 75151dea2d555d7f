"""Benchmark: microseconds per `ds[k] = v` with one subscriber, and a big transaction.

Prints, per scenario, the median of 5 blocks of updates on a warmed-up service
(each block long enough to include the copies that keep a full buffer bounded),
beside a straightforward baseline: a buffer that re-stacks with `sc.concat` on
every update. Also prints bytes held per key against the bound
``ceil(max_size * overallocation_factor)`` frames.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipp as sc

from app.data import (
    DataService,
    LatestValueExtractor,
    UpdateExtractor,
    WindowExtractor,
)

REPEATS = 5
T0 = 1_700_000_000_000_000_000


def scalar_frames(count: int) -> list[sc.DataArray]:
    return [
        sc.DataArray(
            sc.scalar(290.0 + i, unit="K"),
            coords={"time": sc.scalar(T0 + i, unit="ns", dtype="int64")},
        )
        for i in range(count)
    ]


def spectrum_frames(count: int) -> list[sc.DataArray]:
    tof = sc.linspace("tof", 0.0, 71_000.0, 1001, unit="us")
    return [
        sc.DataArray(
            sc.array(dims=["tof"], values=np.random.default_rng(i).random(1000), unit="counts"),
            coords={"tof": tof, "time": sc.scalar(T0 + i, unit="ns", dtype="int64")},
        )
        for i in range(count)
    ]


def image_frames(count: int) -> list[sc.DataArray]:
    x = sc.linspace("x", -64.0, 64.0, 128, unit="mm")
    y = sc.linspace("y", -64.0, 64.0, 128, unit="mm")
    return [
        sc.DataArray(
            sc.array(
                dims=["y", "x"],
                values=np.random.default_rng(i).random((128, 128)),
                unit="counts",
            ),
            coords={"x": x, "y": y, "time": sc.scalar(T0 + i, unit="ns", dtype="int64")},
        )
        for i in range(count)
    ]


@dataclass
class Scenario:
    name: str
    frames: Callable[[int], list[sc.DataArray]]
    extractor: UpdateExtractor
    updates_per_block: int


SCENARIOS = [
    Scenario("scalar_w100", scalar_frames, WindowExtractor(100), 5_000),
    Scenario("scalar_w10000", scalar_frames, WindowExtractor(10_000), 40_000),
    Scenario("spectrum1000_w10", spectrum_frames, WindowExtractor(10), 5_000),
    Scenario("spectrum1000_w1000", spectrum_frames, WindowExtractor(1000), 5_000),
    Scenario("image128_latest", image_frames, LatestValueExtractor(), 2_000),
    Scenario("image128_w100", image_frames, WindowExtractor(100), 1_000),
]


class Recorder:
    """A subscriber that keeps what it is handed, as a plotter would."""

    def __init__(self, key: str, extractor: UpdateExtractor) -> None:
        self.keys = {key}
        self.extractors = {key: extractor}
        self.received: Any = None

    def trigger(self, store: dict[str, Any]) -> None:
        self.received = store


class ConcatBaseline:
    """Straightforward window: re-stack the kept frames on every update."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.frames: list[sc.DataArray] = []

    def __setitem__(self, key: str, frame: sc.DataArray) -> None:
        self.frames = [*self.frames[-(self.size - 1) :], frame] if self.size > 1 else [frame]
        self.received = sc.concat(self.frames, "time")


def time_blocks(update: Callable[[sc.DataArray], None], frames: list, count: int) -> float:
    per_update = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for i in range(count):
            update(frames[i % len(frames)])
        per_update.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(per_update)


def run_scenario(scenario: Scenario) -> None:
    frames = scenario.frames(16)
    service = DataService()
    recorder = Recorder("k", scenario.extractor)
    service.register_subscriber(recorder)
    required = scenario.extractor.retention().frames

    def update(frame: sc.DataArray) -> None:
        service["k"] = frame

    for i in range(int(required * 2.5) + 16):  # fill to the steady state
        update(frames[i % len(frames)])
    ours = time_blocks(update, frames, scenario.updates_per_block)

    baseline_size = min(required, 1000)  # re-stacking 10,000 frames would take minutes
    baseline = ConcatBaseline(baseline_size)
    for i in range(baseline_size):
        baseline["k"] = frames[i % len(frames)]
    reference = time_blocks(
        lambda frame: baseline.__setitem__("k", frame),
        frames,
        max(50, min(scenario.updates_per_block // 10, 500)),
    )
    stats = service.buffer_stats()["k"]
    frame_bytes = frames[0].underlying_size()
    bound = np.ceil(stats.max_size * 2.5) * frame_bytes if stats.max_size > 1 else frame_bytes
    note = "" if baseline_size == required else f" (window {baseline_size})"
    print(
        f"{scenario.name:20s} {ours:8.1f} us/update   concat baseline {reference:8.1f} us"
        f"{note:14s} x{reference / ours:5.1f}   memory {stats.nbytes / 1e6:8.2f} MB "
        f"= {stats.nbytes / bound:4.2f} of the bound"
    )


def run_transaction() -> None:
    keys = [f"log/{i}" for i in range(100)]
    service = DataService()
    for key in keys:
        service.register_subscriber(Recorder(key, WindowExtractor(100)))
    frames = scalar_frames(100)
    per_update = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        with service.transaction():
            for i in range(10_000):
                service[keys[i % 100]] = frames[i // 100]
        per_update.append((time.perf_counter() - start) / 10_000 * 1e6)
    median = statistics.median(per_update)
    print(
        f"{'transaction_10k_100keys':20s} {median:8.1f} us/update   "
        f"{median * 10_000 / 1e3:8.1f} ms for 10,000 updates to 100 keys in one transaction"
    )


def main() -> None:
    print(f"DataService: median of {REPEATS} blocks, one subscriber on the key")
    for scenario in SCENARIOS:
        run_scenario(scenario)
    run_transaction()


if __name__ == "__main__":
    main()
