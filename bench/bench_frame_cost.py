"""Benchmark: the server-side cost of one frame of a window plot, by window size.

Prints the median time of `SlidingWindowPlotter.draw` with one new frame per
draw, for a waterfall of 200-bin spectra and a time series of scalars, at
n = 100 and n = 10,000 side by side, and their ratio (target: at most 1.5).
Also prints the bytes of one scalar window update: the document's PATCH-DOC
message (header, metadata, content and binary buffers) for one new value.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import scipp as sc
from bokeh.document import Document
from bokeh.document.events import DocumentChangedEvent
from bokeh.protocol import Protocol

from app.data import DataService
from app.plotters import SlidingWindowPlotter

T0_NS = 1_790_000_000_000_000_000
PERIOD_NS = 200_000_000
BINS = 200
SIZES = (100, 10_000)
FRAMES = 200
RATIO_TARGET = 1.5
BYTES_TARGET = 1024
TOF = sc.linspace("tof", 0.0, 71_000.0, BINS + 1, unit="us")
RNG = np.random.default_rng(1)


def scalar(index: int) -> sc.DataArray:
    value = sc.DataArray(sc.scalar(295.0 + RNG.normal(), unit="K"))
    value.coords["time"] = sc.datetime(T0_NS + index * PERIOD_NS, unit="ns")
    return value


def spectrum(index: int) -> sc.DataArray:
    counts = RNG.poisson(100.0, BINS).astype(np.float64)
    value = sc.DataArray(
        sc.array(dims=["tof"], values=counts, unit="counts"), coords={"tof": TOF}
    )
    value.coords["time"] = sc.datetime(T0_NS + index * PERIOD_NS, unit="ns")
    return value


def plot_of(
    n: int, frame_ndim: int, make: Callable[[int], sc.DataArray]
) -> tuple[DataService, SlidingWindowPlotter, Document]:
    """A window plot in a document, its window full with n frames, drawn once."""
    data_service = DataService()
    plotter = SlidingWindowPlotter("bench", window_size=n, frame_ndim=frame_ndim)
    document = Document()
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    with data_service.transaction():
        for index in range(n):
            data_service["bench"] = make(index)
    plotter.draw(now_ns=T0_NS + n * PERIOD_NS)
    return data_service, plotter, document


def draw_ms(
    sizes: tuple[int, ...], frame_ndim: int, make: Callable[[int], sc.DataArray]
) -> list[float]:
    """Median milliseconds of one `draw` with one new frame, per window size.

    The plots take turns frame by frame, so a load from elsewhere on the
    machine weighs on every size alike.
    """
    plots = [plot_of(n, frame_ndim, make) for n in sizes]
    samples: list[list[float]] = [[] for _ in sizes]
    for frame in range(FRAMES):
        for (data_service, plotter, _), n, times in zip(
            plots, sizes, samples, strict=True
        ):
            index = n + frame
            data_service["bench"] = make(index)
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


def scalar_update_bytes(n: int) -> float:
    """Median bytes of the patch one new scalar value of a window sends."""
    data_service, plotter, document = plot_of(n, 0, scalar)
    events: list[DocumentChangedEvent] = []
    document.on_change(events.append)
    sizes = []
    for index in range(n, n + FRAMES):
        events.clear()
        data_service["bench"] = scalar(index)
        plotter.draw(now_ns=T0_NS + index * PERIOD_NS)
        sizes.append(message_bytes(events))
    return statistics.median(sizes)


def main() -> None:
    print(f"draw of one new frame, median of {FRAMES} frames, sizes in turn (ms):")
    for name, frame_ndim, make in (
        (f"waterfall {BINS} bins", 1, spectrum),
        ("time series", 0, scalar),
    ):
        small, large = draw_ms(SIZES, frame_ndim, make)
        ratio = large / small
        verdict = "meets" if ratio <= RATIO_TARGET else "MISSES"
        print(
            f"  {name:22s} n={SIZES[0]}: {small:6.3f}  n={SIZES[1]}: {large:6.3f}"
            f"  ratio {ratio:4.2f} ({verdict} target <= {RATIO_TARGET})"
        )
    for n in SIZES:
        size = scalar_update_bytes(n)
        verdict = "meets" if size <= BYTES_TARGET else "MISSES"
        print(
            f"bytes of one scalar window update, n={n}: {size:.0f} B"
            f" ({verdict} target <= {BYTES_TARGET} B)"
        )


if __name__ == "__main__":
    main()
