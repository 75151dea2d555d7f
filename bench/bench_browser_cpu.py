"""Benchmark: what one tab of the default layout costs the browser (its share of
serving many operators).

Headless chromium, default layout (11 plots), simulated instrument at 5 Hz,
frame period 0.2 s, canvas backend. The share of a core is the renderer's main
thread task time (CDP ``Performance.getMetrics``, ``TaskDuration``) over
`MEASURE_S` of wall time, with the layout and script parts beside it. Measured
for the revision before backpressure for slow browsers (`BASELINE_REV`), the
revision before the cuts of decisions 061-062 (`BEFORE_REV`), each in a
temporary worktree, and for the working tree, in one run. Target: <= 30% of a core.
"""

from __future__ import annotations

import time

from bench_slow_browser import BASELINE_REV, PROBE_JS, WINDOW, checkout
from playwright.sync_api import Browser, sync_playwright

from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import REPO, serve_dashboard

BEFORE_REV = "3f79435"
SETTLE_S = 10.0
MEASURE_S = 30.0
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def metrics(cdp) -> dict[str, float]:
    values = {
        m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]
    }
    return {name: values[name] for name in METRICS}


def measure(browser: Browser, repo) -> dict[str, float]:
    with serve_dashboard([], repo=repo) as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(server.url)
        page.wait_for_function(PROBE_JS, arg=WINDOW, polling=200, timeout=120_000)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.wait_for_timeout(SETTLE_S * 1000)  # first frames and layout
        before, started = metrics(cdp), time.monotonic()
        page.wait_for_timeout(MEASURE_S * 1000)  # the measurement window
        after, elapsed = metrics(cdp), time.monotonic() - started
        page.close()
    return {name: 100 * (after[name] - before[name]) / elapsed for name in METRICS}


def main() -> None:
    print(
        f"browser main thread, one tab, default layout, 5 Hz, over {MEASURE_S:.0f} s "
        "(% of one core; target <= 30%)"
    )
    header = "".join(f"{name:>22}" for name in METRICS)
    print(f"{'':<34}{header}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        results = {}
        with checkout(BASELINE_REV) as old:
            results[f"before backpressure ({BASELINE_REV})"] = measure(browser, old)
        with checkout(BEFORE_REV) as before:
            results[f"before decisions 061-062 ({BEFORE_REV})"] = measure(
                browser, before
            )
        results["working tree"] = measure(browser, REPO)
        browser.close()
    for label, result in results.items():
        print(f"{label:<34}" + "".join(f"{result[n]:>21.1f}%" for n in METRICS))


if __name__ == "__main__":
    main()
