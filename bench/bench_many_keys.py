"""Benchmark: a browser session over 1,000 and 10,000 keys.

A facility may publish thousands of logs. Prints, for N f144-like scalar logs
already in the DataService, the time to build a session (its automatic layout),
start it (subscribe its plots with replay) and draw its first frame, and the
time of a frame after one transaction touched every key. The layout stops at
`MAX_AUTO_PLOTS`, so the cost must not grow with N beyond listing the keys:
the ratio 10,000 / 1,000 is printed beside the target (<= 12).
"""

from __future__ import annotations

import statistics
import time

import scipp as sc

from app.ingestion.process import Ingestion
from app.limits import MAX_AUTO_PLOTS
from app.options import DashboardOptions
from app.page.session import DashboardSession
from app.sources import SimulatedInstrument
from app.sources.message import stamped

T0_NS = 1_790_000_000_000_000_000
REPEATS = 5


def fill(ingestion: Ingestion, keys: int, tick: int) -> None:
    with ingestion.data_service.transaction():
        for index in range(keys):
            value = sc.DataArray(sc.scalar(float(index + tick), unit="K"))
            ingestion.data_service[f"log/{index:05d}"] = stamped(value, T0_NS + tick)


def measure(keys: int) -> tuple[float, float]:
    """Median seconds of (build + start + first frame, a frame after an update)."""
    builds, frames = [], []
    for repeat in range(REPEATS):
        ingestion = Ingestion(SimulatedInstrument(streams=[]), ingest_period_s=1.0)
        fill(ingestion, keys, 0)
        began = time.perf_counter()
        session = DashboardSession(ingestion, DashboardOptions())
        session.start()
        session.draw_frame()
        builds.append(time.perf_counter() - began)
        assert len(session.plotters) == MAX_AUTO_PLOTS
        fill(ingestion, keys, repeat + 1)
        began = time.perf_counter()
        session.draw_frame()
        frames.append(time.perf_counter() - began)
        session.close(None)
    return statistics.median(builds), statistics.median(frames)


def main() -> None:
    print(f"session over N scalar logs (layout capped at {MAX_AUTO_PLOTS} plots)")
    print(f"{'keys':>7} {'build+start+frame':>18} {'frame after update':>19}")
    results = {}
    for keys in (1_000, 10_000):
        results[keys] = measure(keys)
        build, frame = results[keys]
        print(f"{keys:>7} {build * 1e3:>16.1f}ms {frame * 1e3:>17.1f}ms")
    ratio = results[10_000][0] / results[1_000][0]
    print(f"ratio 10,000 / 1,000 keys (build): {ratio:.2f} (target <= 12)")


if __name__ == "__main__":
    main()
