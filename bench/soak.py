"""Soak: 30 minutes of two tabs at 20 Hz, nothing may grow with time.

Not a ``bench_*`` script (``make bench`` would take half an hour): run it with
``make soak`` (``SOAK_MINUTES`` shortens it). Simulated instrument at 20 Hz,
default layout, two headless chromium tabs, the second with every sliding window
set to 10,000 frames. Each minute: server RSS, what the buffers hold (from the
status line) and RSS less that, threads, each tab's JS heap and DOM nodes.
Prints the samples, RSS right after each window storage is replaced, and the
slope of each column (per hour, and as a share of its first value), by a
least-squares line over the run and after the windows filled.
"""

from __future__ import annotations

import os
import re
import time

import numpy as np
from bench_slow_browser import PROBE_JS, WINDOW
from playwright.sync_api import Page, sync_playwright

from app.limits import MAX_WINDOW_SIZE
from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import serve_dashboard
from app.testing.process_stats import rss_bytes, thread_count

MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
SAMPLE_S = 60.0
FILL_MINUTES = 10
"""Minutes after which every window is full (10,000 frames at 20 Hz: 8.3 min)."""


def browser_metrics(cdp) -> tuple[float, float]:
    """JS heap in use (MB) and DOM nodes of a tab."""
    reply = cdp.send("Performance.getMetrics")["metrics"]
    values = {metric["name"]: metric["value"] for metric in reply}
    return values["JSHeapUsedSize"] / 1e6, values["Nodes"]


BUFFERS = re.compile(r"buffers ([\d.]+) (B|kB|MB|GB)")
UNITS = {"B": 1e-6, "kB": 1e-3, "MB": 1.0, "GB": 1e3}
STATUS_JS = "() => window.Bokeh.documents[0].get_model_by_name('status').text"


def buffer_mb(page: Page) -> float:
    """What the service's buffers hold, as the page's status line says (MB).

    Buffers fill by design (2.5 slots per frame a window keeps, within the
    memory budget), so RSS less this is what must stay flat meanwhile.
    """
    found = BUFFERS.search(page.evaluate(STATUS_JS))
    return float(found[1]) * UNITS[found[2]] if found else float("nan")


def widen_windows(page: Page) -> None:
    inputs = page.locator("input[type=text], input[type=number]")
    for index in range(inputs.count()):
        field = inputs.nth(index)
        field.fill(str(MAX_WINDOW_SIZE))
        field.press("Enter")


def main() -> None:
    print(f"soak: {MINUTES:.0f} min, 20 Hz, two tabs (one windowed at 10,000)")
    columns = (
        "minute",
        "RSS MB",
        "buffers",
        "RSS-buf",
        "threads",
        "heap1 MB",
        "nodes1",
        "heap2 MB",
        "nodes2",
    )
    print("".join(f"{c:>10}" for c in columns))
    samples = []
    with serve_dashboard(["--simulated-rate", "20"]) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        tabs = []
        for _ in range(2):
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(server.url)
            page.wait_for_function(PROBE_JS, arg=WINDOW, polling=200, timeout=120_000)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            tabs.append((page, cdp))
        widen_windows(tabs[1][0])
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) <= MINUTES * 60:
            rss_mb, held_mb = rss_bytes(server.pid) / 1e6, buffer_mb(tabs[0][0])
            row = [elapsed / 60, rss_mb, held_mb, rss_mb - held_mb]
            row.append(thread_count(server.pid))
            for _, cdp in tabs:
                row.extend(browser_metrics(cdp))
            samples.append(row)
            print("".join(f"{value:>10.1f}" for value in row), flush=True)
            tabs[0][0].wait_for_timeout(SAMPLE_S * 1000)  # the sampling period
        browser.close()
    data = np.array(samples)
    # Windows of 10,000 frames at 20 Hz fill for 8.3 min and their storage grows
    # to 2.5 slots per frame until 21 min (bounded by design, see "buffers");
    # what grows after the windows filled, less the buffers, grows with time.
    settled = data[data[:, 0] >= FILL_MINUTES]
    # A full window's storage is replaced when its slots are used up: RSS then
    # drops. The lows right after each replacement show whether anything
    # accumulates across cycles.
    drops = [
        f"{data[i, 1]:.1f} MB at {data[i, 0]:.1f} min"
        for i in range(1, len(data))
        if data[i, 1] < data[i - 1, 1] - 20
    ]
    print("RSS right after each storage replacement: " + (", ".join(drops) or "none"))
    for label, rows in (("whole run", data), (f"after {FILL_MINUTES} min", settled)):
        if len(rows) < 3:
            continue
        print(f"slopes, {label} (least squares):")
        for column, name in enumerate(columns[1:], start=1):
            slope = np.polyfit(rows[:, 0] / 60, rows[:, column], 1)[0]
            first = rows[0, column] or 1.0
            print(
                f"  {name:<9} {slope:+10.2f} per hour "
                f"({100 * slope / first:+6.1f}% of its first value per hour)"
            )


if __name__ == "__main__":
    main()
