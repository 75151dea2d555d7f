"""Benchmark: aggregation, time windows, many subscribers, many keys, side by side.

Each scenario runs ours and its reference in the same process, blocks
alternating, and prints medians of CPU time of the benchmark's thread (the
machine is shared, so wall-clock time would mostly measure the other
processes) with the ratio against its target:

- aggregation: `AggregatingExtractor(frames=n, op="sum")` over a 128x128
  image, the store read once per 5 updates; the cost per update (the update
  and a fifth of an extraction) against `sc.sum` over the same window
  (target <= 1/20), and flat from n = 10 to 1,000 (target <= 1.3x);
- time window: `TimeWindowExtractor(60)` over a 100 Hz scalar log against
  `WindowExtractor(6000)` on the same frames (target <= 1.3x);
- subscribers: 100 subscribers with equal extractors on one key against one
  (target <= 3x);
- keys: registering a subscriber per key (and a few subscribers of many
  keys) for 10,000 keys against 1,000 (target <= 12x, linear).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

import scipp as sc
from bench_data_service import image_frames, scalar_frames, spectrum_frames
from recorder import Recorder

from app.data import (
    AggregatingExtractor,
    DataService,
    LatestValueExtractor,
    TimeWindowExtractor,
    UpdateExtractor,
    WindowExtractor,
)

REPEATS = 7
T0 = 1_700_000_000_000_000_000


def cpu_us(action: Callable[[], object], count: int = 1) -> float:
    """CPU microseconds of the calling thread per call, over `count` calls."""
    start = time.thread_time_ns()
    for _ in range(count):
        action()
    return (time.thread_time_ns() - start) / count / 1e3


def aggregation(window: int) -> Callable[[], tuple[float, float, float]]:
    """A block of updates on a warmed-up service summing the last `window`
    frames: per update (with a fifth of a read), per read, and `sc.sum` of the
    window, in CPU us."""
    frames = image_frames(16)
    service = DataService()
    subscriber = Recorder("k", AggregatingExtractor(frames=window, op="sum"))
    service.register_subscriber(subscriber)
    step = iter(range(10**9))

    def update() -> None:
        service["k"] = frames[next(step) % len(frames)]

    for _ in range(int(2 * window * 2.5) + 16):
        update()
    subscriber.received["k"]  # the running sum starts here

    def cycle() -> None:
        for _ in range(5):
            update()
        subscriber.received["k"]

    def block() -> tuple[float, float, float]:
        per_update = cpu_us(cycle, 40) / 5
        for _ in range(5):
            update()
        store = subscriber.received
        per_read = cpu_us(lambda: store["k"])
        view = service.buffer("k").snapshot().get_window(window)
        plain = cpu_us(lambda: sc.sum(view, "time"), 5)
        return per_update, per_read, plain

    return block


def run_aggregation() -> None:
    print("aggregation: sum of the last n 128x128 frames, read once per 5 updates")
    windows = (10, 100, 1000)
    blocks = {window: aggregation(window) for window in windows}
    measured: dict[int, list[tuple[float, float, float]]] = {w: [] for w in windows}
    # Blocks of the three windows alternate, so all meet the same load.
    for _ in range(REPEATS):
        for window in windows:
            measured[window].append(blocks[window]())
    figures = {}
    for window in windows:
        per_update, per_read, plain = (
            statistics.median(column) for column in zip(*measured[window], strict=True)
        )
        figures[window] = per_update
        print(
            f"  n={window:5d}  {per_update:7.1f} us/update, of which reading"
            f" {per_read / 5:6.1f} (one read {per_read:6.1f});"
            f" sc.sum of the window {plain:8.1f} us: 1/{plain / per_update:4.1f},"
            f" reading alone 1/{5 * plain / per_read:4.1f} (target <= 1/20)"
        )
    print(
        f"  flat: n=1000 / n=10 = {figures[1000] / figures[10]:4.2f}x (target <= 1.3)"
    )


def log_frames(count: int) -> list[sc.DataArray]:
    """A 100 Hz scalar log: one value every 10 ms."""
    return [
        sc.DataArray(
            sc.scalar(290.0 + (i % 100) / 10, unit="K"),
            coords={"time": sc.scalar(T0 + i * 10_000_000, unit="ns", dtype="int64")},
        )
        for i in range(count)
    ]


def per_update_over(frames: list, extractor: UpdateExtractor, warm: int) -> Callable:
    service = DataService()
    service.register_subscriber(Recorder("k", extractor))
    position = iter(range(len(frames)))
    for _ in range(warm):
        service["k"] = frames[next(position)]

    def block(count: int) -> float:
        def update() -> None:
            service["k"] = frames[next(position)]

        return cpu_us(update, count)

    return block


def run_time_window() -> None:
    warm, block = 16_000, 3_000
    frames = log_frames(warm + 2 * REPEATS * block)
    by_time = per_update_over(frames, TimeWindowExtractor(60.0), warm)
    by_count = per_update_over(frames, WindowExtractor(6000), warm)
    ours, reference = [], []
    for _ in range(REPEATS):
        ours.append(by_time(block))
        reference.append(by_count(block))
    ratio = statistics.median(ours) / statistics.median(reference)
    print(
        f"time window 60 s, 100 Hz log: {statistics.median(ours):6.1f} us/update"
        f"  WindowExtractor(6000) {statistics.median(reference):6.1f}"
        f"  ratio {ratio:4.2f}x (target <= 1.3)"
    )


def subscribed(count: int, frames: list, extractor: UpdateExtractor) -> Callable:
    service = DataService()
    for _ in range(count):
        service.register_subscriber(Recorder("k", extractor))
    step = iter(range(10**9))

    def update() -> None:
        service["k"] = frames[next(step) % len(frames)]

    for _ in range(int(extractor.retention().frames * 2.5) + 16):
        update()
    return lambda: cpu_us(update, 2000)


def run_subscribers() -> None:
    print("100 subscribers with equal extractors on one key, against one")
    for name, frames, extractor in [
        ("0-D log, latest", scalar_frames(16), LatestValueExtractor()),
        ("1000-bin spectrum, window 100", spectrum_frames(16), WindowExtractor(100)),
    ]:
        one = subscribed(1, frames, extractor)
        hundred = subscribed(100, frames, extractor)
        ones, hundreds = [], []
        for _ in range(REPEATS):
            ones.append(one())
            hundreds.append(hundred())
        ratio = statistics.median(hundreds) / statistics.median(ones)
        print(
            f"  {name:30s} 1: {statistics.median(ones):6.1f} us/update"
            f"  100: {statistics.median(hundreds):6.1f}"
            f"  ratio {ratio:4.2f}x (target <= 3)"
        )


def registration(keys: int, *, replay: bool = False) -> float:
    """CPU ms to register one subscriber per key and three of many keys.

    With ``replay`` each subscriber is handed what its keys hold at once.
    """
    service = DataService()
    names = [f"source/{i}" for i in range(keys)]
    value = scalar_frames(1)[0]
    with service.transaction():
        for name in names:
            service[name] = value
    subscribers = [Recorder(name, WindowExtractor(100)) for name in names]
    wide = [
        _Wide(names, LatestValueExtractor()),
        _Wide(names[::10], WindowExtractor(100)),
        _Wide(names[::100], TimeWindowExtractor(60.0)),
    ]
    # The setup's own objects are collected now, not by a full collection that
    # the registering happens to trigger (which would charge it for them).
    gc.collect()
    start = time.thread_time_ns()
    for subscriber in subscribers:
        service.register_subscriber(subscriber, replay=replay)
    for subscriber in wide:
        service.register_subscriber(subscriber, replay=replay)
    return (time.thread_time_ns() - start) / 1e6


class _Wide:
    """A subscriber of many keys, seen through one extractor."""

    def __init__(self, keys: list[str], extractor: UpdateExtractor) -> None:
        self.keys = set(keys)
        self.extractors = dict.fromkeys(keys, extractor)

    def trigger(self, store: object) -> None:
        self.store = store


def run_keys() -> None:
    for replay in (False, True):
        small, large = [], []
        # Five of each: a 1,000-key registration is short enough to be moved
        # by a passing neighbour, and it is the ratio's denominator.
        for _ in range(5):
            small.append(registration(1_000, replay=replay))
            large.append(registration(10_000, replay=replay))
        ratio = statistics.median(large) / statistics.median(small)
        print(
            f"registering{' with replay' if replay else ''} 1,000 keys"
            f" {statistics.median(small):7.1f} ms"
            f"  10,000 keys {statistics.median(large):7.1f} ms"
            f"  ratio {ratio:5.1f} (target <= 12, linear)"
        )


def main() -> None:
    run_time_window()
    run_subscribers()
    run_keys()
    run_aggregation()


if __name__ == "__main__":
    main()
