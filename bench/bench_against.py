"""Benchmark: the server-side cost of one frame of an "against" plot, by its size.

Prints the median time of `AgainstPlotter.draw` with one new y frame (and one
new x frame) per draw, for a scatter of 1,000 and of 100,000 points side by
side, and their ratio (target: at most 1.5); and the bytes one update sends:
the document's PATCH-DOC message for one new point (target: at most 1 KB).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import scipp as sc
from bokeh.document import Document
from bokeh.document.events import DocumentChangedEvent
from bokeh.protocol import Protocol

from app.data import DataService
from app.plotters.against import AgainstPlotter

T0_NS = 1_790_000_000_000_000_000
PERIOD_NS = 71_428_571  # 14 Hz
SIZES = (1_000, 100_000)
FRAMES = 200
BATCH = 200
"""Frames fed between two draws while the plot fills (fewer than it reads)."""
RATIO_TARGET = 1.5
BYTES_TARGET = 1024
RNG = np.random.default_rng(1)


def stamped(value: float, unit: str, index: int) -> sc.DataArray:
    frame = sc.DataArray(sc.scalar(value, unit=unit))
    frame.coords["time"] = sc.datetime(T0_NS + index * PERIOD_NS, unit="ns")
    return frame


def feed(data_service: DataService, index: int) -> None:
    """One tick: the motor's position and the counts there, at one time."""
    with data_service.transaction():
        data_service["x"] = stamped(float(index % 100), "mm", index)
        data_service["y"] = stamped(float(RNG.poisson(100.0)), "counts", index)


def plot_of(n: int) -> tuple[DataService, AgainstPlotter, Document]:
    """An against plot in a document, filled with n points."""
    data_service = DataService()
    plotter = AgainstPlotter("y", x_key="x")
    document = Document()
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    for start in range(0, n, BATCH):
        for index in range(start, min(n, start + BATCH)):
            feed(data_service, index)
        plotter.draw(now_ns=T0_NS + index * PERIOD_NS)
    assert len(plotter.source.data["x"]) == n
    return data_service, plotter, document


def draw_ms(sizes: tuple[int, ...]) -> list[float]:
    """Median ms of one `draw` with one new frame, per size; plots take turns
    frame by frame, so a load from elsewhere weighs on every size alike."""
    plots = [plot_of(n) for n in sizes]
    samples: list[list[float]] = [[] for _ in sizes]
    for frame in range(FRAMES):
        for (data_service, plotter, _), n, times in zip(
            plots, sizes, samples, strict=True
        ):
            index = n + frame
            feed(data_service, index)
            start = time.perf_counter()
            plotter.draw(now_ns=T0_NS + index * PERIOD_NS)
            times.append(time.perf_counter() - start)
    return [1e3 * statistics.median(times[FRAMES // 4 :]) for times in samples]


def message_bytes(events: list[DocumentChangedEvent]) -> int:
    """Bytes of the PATCH-DOC message that carries ``events`` to the browser."""
    message = Protocol().create("PATCH-DOC", events)
    parts = [message.header_json, message.metadata_json, message.content_json]
    size = sum(len(part.encode()) for part in parts)
    return size + sum(len(buffer.to_bytes()) for buffer in message.buffers)


def update_bytes(n: int) -> float:
    """Median bytes of the patch one new point sends."""
    data_service, plotter, document = plot_of(n)
    events: list[DocumentChangedEvent] = []
    document.on_change(events.append)
    sizes = []
    for index in range(n, n + FRAMES):
        events.clear()
        feed(data_service, index)
        plotter.draw(now_ns=T0_NS + index * PERIOD_NS)
        sizes.append(message_bytes(events))
    return statistics.median(sizes)


def main() -> None:
    print(f"draw of one new point, median of {FRAMES} frames, sizes in turn (ms):")
    small, large = draw_ms(SIZES)
    ratio = large / small
    verdict = "meets" if ratio <= RATIO_TARGET else "MISSES"
    print(
        f"  scatter  {SIZES[0]:,} points: {small:6.3f}  {SIZES[1]:,} points: "
        f"{large:6.3f}  ratio {ratio:4.2f} ({verdict} target <= {RATIO_TARGET})"
    )
    for n in SIZES:
        size = update_bytes(n)
        verdict = "meets" if size <= BYTES_TARGET else "MISSES"
        print(
            f"bytes of one update, {n:,} points: {size:.0f} B"
            f" ({verdict} target <= {BYTES_TARGET} B)"
        )


if __name__ == "__main__":
    main()
