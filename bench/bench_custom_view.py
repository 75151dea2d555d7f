"""Benchmark: custom HoloViews views, their bytes and CPU, and a slow view's cost.

``bytes`` serves ``detector/panel_0`` (128 x 128 at 5 Hz) alone, once as the
built-in image and once as the example custom view (the pixel-value
histogram, `app/page/pixel_histogram.py`), and prints for each the median bytes of
a websocket update and the server's CPU with one session.

``slow`` serves the views of `app.testing.views` (``--views``) and prints the
frames per second of a session showing one value panel, alone and beside a
session showing the 2 s slow view (a pure-Python busy loop, the most a view
can hold the GIL), and the slow session's own frame rate (decision 057).

    python bench/bench_custom_view.py [bytes] [slow]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_dashboard import WebsocketMessages, cpu_percent
from playwright.sync_api import Browser, Page, sync_playwright

from app.page.layout_file import Layout
from app.plot_spec import PlotSpec
from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import LocalServer, serve_dashboard
from app.testing.views import SLOW

KEY = "detector/panel_0"
MEASURE_S = 20
OTHER_KEY = "log/sample_temperature"
FRAME_NUMBER = "() => Bokeh.documents[0].get_model_by_name('frame-number').tags[0]"


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


def bench_bytes(browser: Browser) -> None:
    print(
        f"Custom HoloViews view beside the built-in image, {KEY} at 5 Hz, "
        f"one session, {MEASURE_S} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        for label, view in (
            ("built-in image (Bokeh)", "latest"),
            ("pixel histogram (HoloViews)", "pixel histogram"),
        ):
            median, count, percent = measure(browser, view, Path(folder))
            print(
                f"  {label:30s} median {median:8.0f} B per update "
                f"({count} updates), server CPU {percent:5.1f}% of a core"
            )


def open_session(browser: Browser, server: LocalServer, layout: Layout) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{server.url}?layout={layout.to_url()}")
    page.wait_for_function(
        "() => window.Bokeh && Bokeh.documents.length"
        " && Bokeh.documents[0].get_model_by_name('frame-number')",
        polling=100,
    )
    return page


def frame_rates(pages: list[Page]) -> list[float]:
    """Frames per second each page receives over MEASURE_S."""
    before = [page.evaluate(FRAME_NUMBER) for page in pages]
    start = time.monotonic()
    pages[0].wait_for_timeout(MEASURE_S * 1000)
    seconds = time.monotonic() - start
    after = [page.evaluate(FRAME_NUMBER) for page in pages]
    return [(b - a) / seconds for a, b in zip(before, after, strict=True)]


def bench_slow(browser: Browser) -> None:
    print(
        f"A 2 s custom view ('{SLOW}', pure Python) and an unrelated session "
        f"(one value panel); frame period 0.2 s (5.0 frames/s), {MEASURE_S} s"
    )
    other = Layout((PlotSpec(OTHER_KEY),))
    args = ["--keys", f"{KEY},{OTHER_KEY}", "--views", "app.testing.views"]
    with serve_dashboard(args) as server:
        unrelated = open_session(browser, server, other)
        unrelated.wait_for_timeout(5000)  # the document, the first frames
        (alone,) = frame_rates([unrelated])
        print(f"  unrelated session alone                  {alone:4.1f} frames/s")
        # Sessions of one slow view each: one, then three, more than the
        # process's view threads; three of the quick pixel histogram tell
        # what the sessions and browsers cost apart from the slow view.
        for sessions, view in ((1, SLOW), (3, SLOW), (3, "pixel histogram")):
            layout = Layout((PlotSpec(KEY, view), PlotSpec(OTHER_KEY)))
            pages = [open_session(browser, server, layout) for _ in range(sessions)]
            pages[-1].wait_for_timeout(5000)
            rate, *own = frame_rates([unrelated, *pages])
            print(
                f"  unrelated session beside {sessions} sessions of {view!r}: "
                f"{rate:4.1f} frames/s (theirs {min(own):.1f}-{max(own):.1f})"
            )
            header = pages[0].evaluate(
                "() => Bokeh.documents[0]"
                f".get_model_by_name('custom:{view}:{KEY}').text"
            )
            print(f"    its header: {header}")
            for page in pages:
                page.context.close()


def main(sections: list[str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        if "bytes" in sections:
            bench_bytes(browser)
        if "slow" in sections:
            bench_slow(browser)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:] or ["bytes", "slow"])
