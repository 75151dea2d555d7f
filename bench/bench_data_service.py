"""Benchmark: microseconds per `ds[k] = v` with one subscriber, and a big transaction.

Prints, per scenario, the median of 9 blocks of updates on a service in its
steady state (each block long enough to include the copies that keep a full
buffer bounded), in CPU time of the benchmark's thread (the machine is shared,
so wall-clock time would mostly measure the other processes), and minor page
faults per update (memory touched for the first time), beside the same
scenario through the facility's strategy (`note_baseline.py`, in its own
steady state: storage full, shifted on every append) in the same run, blocks
alternating, and the ratio (target >= 4). Also prints the bytes held per key
against ``ceil(max_size * overallocation_factor)`` frames, image128_w100 in
five fresh processes, and the baseline before its storage is full (see
docs/performance.md). The allocator is set as a dashboard process sets it
(`app.ingestion.allocator`, decision 024) unless ``BENCH_DEFAULT_ALLOCATOR=1``.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipp as sc
from note_baseline import NoteDataService, note_extractor
from recorder import Recorder

from app.data import (
    DataService,
    LatestValueExtractor,
    UpdateExtractor,
    WindowExtractor,
)
from app.ingestion.allocator import reuse_freed_storage

REPEATS = 9
T0 = 1_700_000_000_000_000_000


def timestamp(i: int, datetimes: bool = False) -> sc.Variable:
    """Frame `i`'s `time` coord: int64 ns as the data layer's targets specify,
    or datetime64 as the decoders make it (`app.sources.message`)."""
    if datetimes:
        return sc.datetime(T0 + i, unit="ns")
    return sc.scalar(T0 + i, unit="ns", dtype="int64")


def scalar_frames(count: int, datetimes: bool = False) -> list[sc.DataArray]:
    return [
        sc.DataArray(
            sc.scalar(290.0 + i, unit="K"),
            coords={"time": timestamp(i, datetimes)},
        )
        for i in range(count)
    ]


def spectrum_frames(count: int, datetimes: bool = False) -> list[sc.DataArray]:
    tof = sc.linspace("tof", 0.0, 71_000.0, 1001, unit="us")
    return [
        sc.DataArray(
            sc.array(
                dims=["tof"],
                values=np.random.default_rng(i).random(1000),
                unit="counts",
            ),
            coords={"tof": tof, "time": timestamp(i, datetimes)},
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
            coords={
                "x": x,
                "y": y,
                "time": sc.scalar(T0 + i, unit="ns", dtype="int64"),
            },
        )
        for i in range(count)
    ]


@dataclass
class Scenario:
    name: str
    frames: Callable[[int], list[sc.DataArray]]
    extractor: UpdateExtractor
    updates_per_block: int
    target: float = 20.0  # us: the straightforward 80 us, four times faster


SCENARIOS = [
    Scenario("scalar_w100", scalar_frames, WindowExtractor(100), 5_000),
    Scenario("scalar_w10000", scalar_frames, WindowExtractor(10_000), 40_000),
    Scenario("spectrum1000_w10", spectrum_frames, WindowExtractor(10), 5_000),
    Scenario("spectrum1000_w1000", spectrum_frames, WindowExtractor(1000), 5_000),
    Scenario("image128_latest", image_frames, LatestValueExtractor(), 2_000),
    Scenario("image128_w100", image_frames, WindowExtractor(100), 1_000, 150.0),
]

# The same frames with datetime64 timestamps, as the decoders make them: not
# the targets' rows, but what production pays (scipp reads a datetime slowly).
DATETIME_SCENARIOS = [
    Scenario(
        "scalar_w100",
        lambda count: scalar_frames(count, datetimes=True),
        WindowExtractor(100),
        5_000,
    ),
    Scenario(
        "spectrum1000_w10",
        lambda count: spectrum_frames(count, datetimes=True),
        WindowExtractor(10),
        5_000,
    ),
]


def time_block(
    update: Callable[[sc.DataArray], None], frames: list, count: int, offset: int
) -> tuple[float, float]:
    """CPU microseconds and minor page faults per update over `count` updates."""
    faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
    start = time.thread_time_ns()
    for i in range(offset, offset + count):
        update(frames[i % len(frames)])
    elapsed = (time.thread_time_ns() - start) / count / 1e3
    faults = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - faults
    return elapsed, faults / count


def baseline_service(scenario: Scenario, frames: list) -> Callable:
    """The note's service in its steady state: storage at its largest, the
    newest frames shifted to the front on every append."""
    service = NoteDataService()
    service.register_subscriber(Recorder("k", note_extractor(scenario.extractor)))

    def update(frame: sc.DataArray) -> None:
        service["k"] = frame

    full = 0
    i = 0
    while full < 16:
        update(frames[i % len(frames)])
        buffer = service.buffers["k"]
        full = full + 1 if buffer.capacity >= buffer.max_capacity else 0
        i += 1
    return update


def baseline_while_growing(
    scenario: Scenario, frames: list
) -> tuple[float | None, int]:
    """CPU us per update of the note's service before its storage is full
    (no shift per append yet, the growth copies included), and how many
    updates that phase lasts: what a measurement that ends early sees."""
    service = NoteDataService()
    service.register_subscriber(Recorder("k", note_extractor(scenario.extractor)))
    for i in range(16):
        service["k"] = frames[i % len(frames)]
    buffer = service.buffers["k"]
    count = 0
    start = time.thread_time_ns()
    while buffer.capacity < buffer.max_capacity:
        service["k"] = frames[count % len(frames)]
        count += 1
    if not count:
        return None, 16
    return (time.thread_time_ns() - start) / count / 1e3, count + 16


def ours_service(scenario: Scenario, frames: list) -> tuple[DataService, Callable]:
    """Ours in its steady state: past two moves of a full stack."""
    service = DataService()
    service.register_subscriber(Recorder("k", scenario.extractor))

    def update(frame: sc.DataArray) -> None:
        service["k"] = frame

    for i in range(3 * int(scenario.extractor.retention().frames * 2.5) + 16):
        update(frames[i % len(frames)])
    return service, update


def run_scenario(scenario: Scenario, label: str = "") -> float:
    frames = scenario.frames(16)
    service, update = ours_service(scenario, frames)
    baseline_update = baseline_service(scenario, frames)
    ours, baseline = [], []
    baseline_count = max(200, scenario.updates_per_block // 10)
    # Blocks alternate, so both meet the same load of the shared machine.
    for repeat in range(REPEATS):
        ours.append(
            time_block(update, frames, scenario.updates_per_block, repeat * len(frames))
        )
        baseline.append(
            time_block(baseline_update, frames, baseline_count, repeat * len(frames))
        )
    median = statistics.median(us for us, _ in ours)
    baseline_median = statistics.median(us for us, _ in baseline)
    faults = statistics.mean(f for _, f in ours)
    baseline_faults = statistics.mean(f for _, f in baseline)
    stats = service.buffer_stats()["k"]
    frame_bytes = frames[0].data.values.nbytes + 8  # values and timestamp
    slots = np.ceil(stats.max_size * 2.5) if stats.max_size > 1 else 1
    share = stats.nbytes / (slots * frame_bytes)
    print(
        f"{label}{scenario.name:20s} {median:7.1f} us/update"
        f"  baseline {baseline_median:7.1f}  ratio {baseline_median / median:5.1f}x"
        f" (target >= 4)  page faults/update {faults:5.1f} baseline"
        f" {baseline_faults:5.1f}  memory {stats.nbytes / 1e6:6.2f} MB"
        f" = {share:4.2f} x {slots:5.0f} frames"
    )
    return median


def run_in_processes(name: str, processes: int) -> None:
    """Run one row in fresh processes, one after the other, each printing it:
    a row's cost may depend on the process (where its memory comes from)."""
    for number in range(processes):
        result = subprocess.run(
            [sys.executable, __file__, "row", name],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
        print(f"  process {number + 1}: {result.stdout.strip()}")


def run_growth() -> None:
    print(
        "the note's service before its storage is full (no shift per append yet):"
        " what a measurement ending early sees"
    )
    for scenario in SCENARIOS:
        us, updates = baseline_while_growing(scenario, scenario.frames(16))
        if us is None:
            print(f"  {scenario.name:20s} full from its first frame")
        else:
            print(f"  {scenario.name:20s} {us:7.1f} us/update, its first {updates}")


def run_transaction() -> None:
    keys = [f"log/{i}" for i in range(100)]
    service = DataService()
    for key in keys:
        service.register_subscriber(Recorder(key, WindowExtractor(100)))
    frames = scalar_frames(100)
    per_update = []
    for _ in range(REPEATS):
        start = time.thread_time_ns()
        with service.transaction():
            for i in range(10_000):
                service[keys[i % 100]] = frames[i // 100]
        per_update.append((time.thread_time_ns() - start) / 10_000 / 1e3)
    median = statistics.median(per_update)
    print(
        f"{'transaction_10k_100keys':20s} {median:8.1f} us/update   "
        f"{median * 10_000 / 1e3:8.1f} ms: 10,000 updates to 100 keys, one transaction"
    )


def read_floor(frame: sc.DataArray, shared: tuple[str, ...]) -> float:
    """CPU us to read, once each, the properties a complete frame check needs.

    Values, variances, unit, the coords' count, the timestamp, each shared
    coord's memory, dims and alignment, and the masks' count: no check that
    tells a misfit frame (decision 012) can read less, so this bounds ours.
    """

    def read() -> list:
        coords = frame.coords
        time_coord = coords["time"]
        read = [frame.values, frame.variances, frame.unit, frame.dims, len(coords)]
        read += [time_coord.value, time_coord.unit, time_coord.aligned]
        for name in shared:
            coord = coords[name]
            read += [coord.values.base, coord.dims, coord.aligned]
        read.append(len(frame.masks))
        return read

    count = 20_000
    blocks = []
    for _ in range(REPEATS):
        start = time.thread_time_ns()
        for _ in range(count):
            read()
        blocks.append((time.thread_time_ns() - start) / count / 1e3)
    return statistics.median(blocks)


def warm_up() -> None:
    """Run the first scenario once unmeasured: the first run of a process is slower."""
    scenario = SCENARIOS[0]
    frames = scenario.frames(16)
    _, update = ours_service(scenario, frames)
    baseline_update = baseline_service(scenario, frames)
    for i in range(20_000):
        update(frames[i % len(frames)])
        if i % 10 == 0:
            baseline_update(frames[i % len(frames)])


def main() -> None:
    warm_up()
    print(f"DataService: median of {REPEATS} blocks, one subscriber on the key")
    medians = {scenario.name: run_scenario(scenario) for scenario in SCENARIOS}
    growth = medians["scalar_w10000"] / medians["scalar_w100"]
    print(
        f"{'window growth':20s} {growth:7.2f} x"
        "  scalar_w10000 / scalar_w100 (target <= 1.3)"
    )
    print("image128_w100 in 5 fresh processes, one after the other:")
    run_in_processes("image128_w100", 5)
    run_growth()
    print("with datetime64 timestamps, as the decoders make them:")
    for scenario in DATETIME_SCENARIOS:
        run_scenario(scenario)
    run_transaction()
    print("reading a frame's properties once, the floor of any complete check:")
    print(f"  {'scalar':20s} {read_floor(scalar_frames(1)[0], ()):7.1f} us")
    print(
        f"  {'spectrum1000':20s} {read_floor(spectrum_frames(1)[0], ('tof',)):7.1f} us"
    )


if __name__ == "__main__":
    if os.environ.get("BENCH_DEFAULT_ALLOCATOR") != "1":
        reuse_freed_storage()  # as every dashboard process does
    if sys.argv[1:2] == ["row"]:
        warm_up()
        run_scenario(next(s for s in SCENARIOS if s.name == sys.argv[2]))
    else:
        main()
