"""Benchmark: regions of interest in the ingestion thread.

Four detector images of 512x512 pixels (float64 counts with variances) at
14 Hz, each with ten regions (five boxes, five polygons of 40 to 200 pixels
across), go through the ingestion's sinks (regions, key activity, a
DataService keeping every key's default history) one tick per transaction,
as the Orchestrator applies them. Prints the ingestion thread's CPU time per
second of data as % of a core with and without regions, and the difference
(the target: regions cost at most 10% of a core).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import scipp as sc

from app.data import DataService
from app.data.regions import Region
from app.ingestion.key_activity import KeyActivity
from app.ingestion.orchestrator import Orchestrator
from app.ingestion.process import default_history
from app.ingestion.regions import RegionSink
from app.options import DashboardOptions
from app.sources.message import Message, SourceStatus, stamped

PIXELS = 512
IMAGES = [f"detector/panel_{i}" for i in range(4)]
RATE_HZ = 14.0
SECONDS = 10
FRAMES_PREPARED = 8
REPEATS = 3
T0 = 1_700_000_000_000_000_000


def image(rng: np.random.Generator) -> sc.DataArray:
    counts = rng.poisson(5.0, (PIXELS, PIXELS)).astype(np.float64)
    edges = sc.linspace("x", -256.0, 256.0, PIXELS + 1, unit="mm")
    return sc.DataArray(
        sc.array(dims=["y", "x"], values=counts, variances=counts, unit="counts"),
        coords={"x": edges, "y": edges.rename_dims(x="y")},
    )


def regions() -> tuple[Region, ...]:
    """Five boxes and five polygons (hexagons and a star) across the panel."""
    rng = np.random.default_rng(1)
    shapes = []
    for i in range(5):
        size = 40.0 + 40.0 * i
        x0, y0 = rng.uniform(-250.0, 250.0 - size, 2)
        shapes.append(Region.box(f"box{i}", x0, x0 + size, y0, y0 + size))
    for i in range(5):
        radius = 20.0 + 20.0 * i
        cx, cy = rng.uniform(-250.0 + radius, 250.0 - radius, 2)
        corners = 12 if i == 4 else 6
        angles = np.linspace(0.0, 2 * np.pi, corners, endpoint=False)
        scale = np.where(np.arange(corners) % 2, 0.5, 1.0) if i == 4 else 1.0
        shapes.append(
            Region.polygon(
                f"poly{i}",
                cx + radius * scale * np.cos(angles),
                cy + radius * scale * np.sin(angles),
            )
        )
    return tuple(shapes)


class Ticks:
    """One batch per tick: one frame of each image, stamped 1/14 s apart."""

    def __init__(self, ticks: int) -> None:
        rng = np.random.default_rng(0)
        self._frames = [image(rng) for _ in range(FRAMES_PREPARED)]
        self._ticks = ticks
        self._tick = 0

    def get_messages(self) -> list[Message]:
        if self._tick >= self._ticks:
            return []
        timestamp = T0 + round(self._tick * 1e9 / RATE_HZ)
        frame = self._frames[self._tick % FRAMES_PREPARED]
        self._tick += 1
        return [
            Message(key, stamped(frame.copy(deep=False), timestamp), timestamp)
            for key in IMAGES
        ]

    def close(self) -> None:
        pass

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(connected=True, description="benchmark ticks")


def core_share(with_regions: bool) -> float:
    """CPU time of the ingestion thread per second of data, as a share of a core."""
    service = DataService()
    service.keep_for_every_key(default_history(DashboardOptions()))
    sink = RegionSink(KeyActivity(service))
    if with_regions:
        sink.use({key: regions() for key in IMAGES})
    ticks = round(SECONDS * RATE_HZ)
    orchestrator = Orchestrator(Ticks(ticks), sink, max_batch_seconds=60.0)
    # A first second grows the buffers and makes the masks; not counted.
    for _ in range(round(RATE_HZ)):
        orchestrator.update()
    started = time.thread_time()
    counted = 0
    while orchestrator.update():
        counted += 1
    spent = time.thread_time() - started
    expected = len(IMAGES) * (1 + len(regions()) if with_regions else 1)
    assert len(service) == expected, (len(service), expected)
    return spent / (counted / RATE_HZ)


def main() -> None:
    print(
        f"{len(IMAGES)} images of {PIXELS}x{PIXELS} at {RATE_HZ:g} Hz, "
        f"{len(regions())} regions each; ingestion thread CPU per second of "
        f"data, median of {REPEATS} runs of {SECONDS} s"
    )
    without = statistics.median(core_share(False) for _ in range(REPEATS))
    with_ = statistics.median(core_share(True) for _ in range(REPEATS))
    print(f"  without regions   {100 * without:6.2f} % of a core")
    print(f"  with regions      {100 * with_:6.2f} % of a core")
    print(f"  regions cost      {100 * (with_ - without):6.2f} % of a core (<= 10)")


if __name__ == "__main__":
    main()
