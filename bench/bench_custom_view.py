"""Benchmark: a custom HoloViews view beside a built-in Bokeh plot of the same key.

Serves ``detector/panel_0`` (128 x 128 at 5 Hz) alone, once as the built-in
image and once as the example custom view (the pixel-value histogram,
`app/pixel_histogram.py`), and prints for each the median bytes of a
websocket update and the server's CPU with one session.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench_dashboard import WebsocketMessages, cpu_percent
from playwright.sync_api import Browser, sync_playwright

from app.layout_file import Layout, PlotSpec
from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import serve_dashboard

KEY = "detector/panel_0"
MEASURE_S = 20


def measure(browser: Browser, view: str, folder: Path) -> tuple[float, int, float]:
    """Median bytes per update, updates seen, and server CPU % for one view."""
    layout = folder / f"{view.replace(' ', '_')}.json"
    layout.write_text(Layout((PlotSpec(KEY, view),)).to_json())
    with serve_dashboard(["--keys", KEY, "--layout", str(layout)]) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        meter = WebsocketMessages()
        meter.attach(page)
        page.goto(server.url)
        page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length", polling=100
        )
        page.wait_for_timeout(5000)  # the document, the first frames
        since = time.monotonic()
        percent = cpu_percent(server.pid, MEASURE_S, page=page)
        sizes = meter.patches_since(since)
        page.close()
    return statistics.median(sizes), len(sizes), percent


def main() -> None:
    print(
        f"Custom HoloViews view beside the built-in image, {KEY} at 5 Hz, "
        f"one session, {MEASURE_S} s"
    )
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as folder:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        for label, view in (
            ("built-in image (Bokeh)", "latest"),
            ("pixel histogram (HoloViews)", "pixel histogram"),
        ):
            median, count, percent = measure(browser, view, Path(folder))
            print(
                f"  {label:30s} median {median:8.0f} B per update "
                f"({count} updates), server CPU {percent:5.1f}% of a core"
            )
        browser.close()


if __name__ == "__main__":
    main()
