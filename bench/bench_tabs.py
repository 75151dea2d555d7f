"""Benchmark: 1, 5, 10 and 20 tabs of one headless chromium on one server.

Default layout, simulated instrument at 5 Hz, frame period 0.2 s, each tab
1400x1200 with the measured sliding window in view. For each N: the server's
RSS (lowest and highest over the run) and each tab's data age (browser clock
minus the newest time in its window) sampled every 2 s for `MEASURE_S` after
`SETTLE_S`; prints the median of the tabs' medians and the worst tab's median.
The revision before backpressure (a625768), measured on this machine before
that work began: 117-134 MB and 130-194 ms at 1 tab, 147-343 MB and 18-45 s at
5, 633-820 MB and 87-128 s at 10, 2,617 MB and 327 s at 20; those figures are
its context here.
"""

from __future__ import annotations

import os
import statistics

from bench_slow_browser import open_tab, sample_ages
from playwright.sync_api import sync_playwright

from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import serve_dashboard

TABS = (1, 5, 10, 20)
SETTLE_S = 15.0
MEASURE_S = float(os.environ.get("BENCH_TABS_S", "40"))


def main() -> None:
    print(
        f"tabs of one headless chromium, default layout, 5 Hz, over {MEASURE_S:.0f} s"
    )
    print(
        f"{'tabs':>5} {'server RSS MB':>16} {'data age, median of tabs':>26}"
        f" {'worst tab':>10}"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        for count in TABS:
            with serve_dashboard([]) as server:
                pages = [open_tab(browser, server.url) for _ in range(count)]
                pages[0].wait_for_timeout(SETTLE_S * 1000)  # every tab drawing
                sampled = sample_ages(pages, MEASURE_S, server.pid)
                for page in pages:
                    page.close()
            medians = [
                statistics.median(age for _, age in ages)
                for ages in sampled["ages"]
                if ages
            ]
            rss = sampled["rss"]
            print(
                f"{count:>5} {min(rss) / 1e6:7.0f}-{max(rss) / 1e6:<7.0f}"
                f" {statistics.median(medians) * 1000:20.0f} ms"
                f" {max(medians) * 1000:7.0f} ms",
                flush=True,
            )
        browser.close()


if __name__ == "__main__":
    main()
