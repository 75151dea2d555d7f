"""Benchmark: an image of uneven (geometric) bins against one of even bins, 128 x 128.

Even bins are one Bokeh image; uneven bins along x one image per column of
bins (decision 044), against the alternative of one rectangle (quad) per bin.
Printed per frame (new values, same edges): the server's time to turn the
frame into columns and the bytes of the document patch a session sends (the
plot as built; the quads row repeats the strips' figures), and the
browser's time to take the new column and paint the whole figure (headless
chromium, canvas, no GPU), median of runs. Run as ``python -m bench.bench_uneven_bins``
from the checkout.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import scipp as sc
from bokeh.document import Document
from bokeh.embed import file_html
from bokeh.models import ColumnDataSource, LinearColorMapper
from bokeh.plotting import figure
from bokeh.protocol import Protocol
from bokeh.resources import INLINE
from bokeh.transform import transform

from app.plotters import ImagePlotter
from app.plotters.base import draw_image
from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS

SIZE = 128
RUNS = 200
PAINTS = 30
T0_NS = 1_790_000_000_000_000_000

# Paints the figure PAINTS times after a change of its values, as a frame does.
PAINT_JS = """
async (paints) => {
  const figure = Bokeh.documents[0].get_model_by_name("bench");
  const view = Bokeh.index.get(figure);
  const source = figure.renderers[0].data_source;
  const times = [];
  for (let i = 0; i < paints; i++) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    // The new column and a paint of the whole figure, synchronously.
    const start = performance.now();
    source.data = {...source.data, image: source.data.image.slice()};
    view.invalidate_painters(figure.renderers[0]);
    view.paint();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
"""


def frame(index: int, edges: np.ndarray) -> sc.DataArray:
    rng = np.random.default_rng(index)
    return sc.DataArray(
        sc.array(dims=["y", "tof"], values=rng.random((SIZE, SIZE)), unit="counts"),
        coords={
            "tof": sc.array(dims=["tof"], values=edges, unit="us"),
            "y": sc.linspace("y", 0.0, 1.0, SIZE + 1, unit="m"),
            "time": sc.datetime(T0_NS + index, unit="ns"),
        },
    )


def server_side(edges: np.ndarray) -> tuple[float, int]:
    plotter = ImagePlotter("detector/tof")
    document = Document()
    document.add_root(plotter.root)
    plotter._show(frame(0, edges))
    events = []
    document.on_change(events.append)
    times = []
    for index in range(1, RUNS + 1):
        value = frame(index, edges)
        start = time.perf_counter()
        plotter._show(value)
        times.append(time.perf_counter() - start)
    events.clear()
    plotter._show(frame(RUNS + 1, edges))
    message = Protocol().create("PATCH-DOC", events)
    sent = len(message.content_json) + sum(
        len(buffer.to_bytes()) for buffer in message.buffers
    )
    return statistics.median(times) * 1e6, sent


def quad_columns(x_edges: np.ndarray, y_edges: np.ndarray) -> dict[str, np.ndarray]:
    """One rectangle per bin of a ``(y, x)`` image, row by row (the alternative)."""
    nx, ny = x_edges.size - 1, y_edges.size - 1
    return {
        "left": np.tile(x_edges[:-1], ny),
        "right": np.tile(x_edges[1:], ny),
        "bottom": np.repeat(y_edges[:-1], nx),
        "top": np.repeat(y_edges[1:], nx),
    }


def bench_figure(edges: np.ndarray, drawn: str) -> figure:
    """The figure an image plot draws: one image, an image per column of bins,
    or a rectangle per bin."""
    values = np.random.default_rng(0).random((SIZE, SIZE)).astype(np.float32)
    y_edges = np.linspace(0.0, 1.0, SIZE + 1)
    fig = figure(width=440, height=300, name="bench")
    mapper = LinearColorMapper(palette="Viridis256", low=0, high=1)
    if drawn == "columns":
        source = ColumnDataSource(
            {
                "image": [
                    np.ascontiguousarray(values[:, i : i + 1]) for i in range(SIZE)
                ],
                "x": edges[:-1],
                "y": np.zeros(SIZE),
                "dw": np.diff(edges),
                "dh": np.ones(SIZE),
            }
        )
        draw_image(fig, source, mapper)  # as the dashboard draws strips
    elif drawn == "image":
        fig.image(
            image=[values],
            x=edges[0],
            y=0.0,
            dw=edges[-1] - edges[0],
            dh=1.0,
            color_mapper=mapper,
        )
    else:
        source = ColumnDataSource(
            {**quad_columns(edges, y_edges), "image": values.ravel()}
        )
        fig.quad(
            left="left",
            right="right",
            bottom="bottom",
            top="top",
            source=source,
            fill_color=transform("image", mapper),
            line_color=None,
        )
    return fig


def browser_paint(fig: figure) -> float | None:
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    html = file_html(fig, INLINE, "bench")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.html"
        path.write_text(html)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
            )
            page = browser.new_page()
            page.goto(path.as_uri())
            page.wait_for_function(
                "() => window.Bokeh && Bokeh.documents.length"
                " && Bokeh.documents[0].is_idle"
            )
            median = page.evaluate(PAINT_JS, PAINTS)
            browser.close()
    return median


def main() -> None:
    cases = {
        "even (one image)": (np.linspace(10.0, 1e5, SIZE + 1), "image"),
        "geometric (strips)": (np.geomspace(10.0, 1e5, SIZE + 1), "columns"),
        "geometric (quads)": (np.geomspace(10.0, 1e5, SIZE + 1), "quads"),
    }
    print(f"{SIZE} x {SIZE} bins, median of {RUNS} frames / {PAINTS} paints")
    for name, (edges, drawn) in cases.items():
        micros, sent = server_side(edges)
        paint = browser_paint(bench_figure(edges, drawn))
        paint_text = "n/a" if paint is None else f"{paint:.1f} ms"
        print(
            f"{name:20s} columns {micros:7.0f} us  patch {sent / 1024:7.1f} KiB"
            f"  browser paint {paint_text}"
        )


if __name__ == "__main__":
    main()
