"""Benchmark: what a page of 48, 100 and 200 plots costs everyone else on its server.

While headless chromium opens a page of N plots (a layout in its URL,
`app.testing.many_plots`), a thread GETs a small static file of the same server
every 20 ms: its slowest response is how long the server's event loop was
blocked, for every other session and request alike. Printed per N, for the
code before sliced builds (`BASELINE_REV`, in a temporary git worktree;
``BENCH_PAGE_BASELINE`` names another) and
for this working tree, as medians of `REPEATS` runs (``BENCH_PAGE_REPEATS``;
``BENCH_PAGE_SIZES`` and ``BENCH_PAGE_CODE`` choose sizes and code,
``BENCH_PAGE_PIN=1`` puts the server and the browser on a core each):

- worst delay of a request while the page opens (from the page's request until
  all N plots are in the browser's document);
- the longest single callback of the server's loop in that time, the longest
  with no sweep in it (the page's own build: a sweep is a full collection of
  over `SWEEP_FULL_S`, of pages closed before, decision 102, or CPython's
  own pass; the collector's freeze of a build's turn collects what came
  since the last, a few ms, decision 108), the callbacks holding a sweep,
  and how many took over `SLOW_S` (50 ms, what a build's turn aims at), and
  the most CPU time of the loop's thread in a block without a sweep (the
  server's own work: the browser runs on the same two cores), from
  `loop_blocks/sitecustomize.py` on the server's path: a request waits for
  every callback ahead of it in the loop, so its delay can be several;
- the time until all N plots are in the page;
- the largest websocket message the page received while opening;
- worst delay of a request over the `AFTER_S` seconds after: what the page's
  frames of N plots cost the loop once built.

Simulated instrument at 5 Hz, frame period 0.2 s. Decision 064 takes the
bound on plots per page (`app.limits.MAX_LAYOUT_PLOTS`) from these figures.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright
from worktree import checkout

from app.limits import MAX_LAYOUT_PLOTS, MAX_LAYOUT_URL_CHARS
from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import REPO, serve_dashboard
from app.testing.many_plots import many_plots

BASELINE_REV = os.environ.get("BENCH_PAGE_BASELINE", "22de801")
"""The code to compare with: before sliced builds unless ``BENCH_PAGE_BASELINE``
names another revision."""
SIZES = tuple(
    int(n) for n in os.environ.get("BENCH_PAGE_SIZES", "48,100,200").split(",")
)
REPEATS = int(os.environ.get("BENCH_PAGE_REPEATS", "3"))
CODE = os.environ.get("BENCH_PAGE_CODE", "both")
"""``before``, ``ours`` or ``both``: which code to serve."""
PIN = os.environ.get("BENCH_PAGE_PIN") == "1"
"""With ``BENCH_PAGE_PIN=1`` the server runs on the first core, the browser
and this script on the last, as in service, where the browser is on the
operator's machine; by default they share both cores (one core: always)."""
_CPUS = sorted(os.sched_getaffinity(0))
SERVER_CPU, BROWSER_CPU = _CPUS[0], _CPUS[-1]
PROBE_PATH = "/static/extensions/panel/css/loading.css"
PROBE_PERIOD_S = 0.02
SLOW_S = 0.05
"""A callback of the server's loop longer than this blocked everyone for more
than a page's build aims at (decision 064)."""
SWEEP_FULL_S = 0.02
"""A callback whose full collections took longer held a sweep, not the
collector's pass over what a build's turn made (1-5 ms)."""
LOOP_BLOCKS = Path(__file__).parent / "loop_blocks"
AFTER_S = 10.0
SESSION_CLEANUP = (
    "--check-unused-sessions",
    "500",
    "--unused-session-lifetime",
    "3000",
)
"""A closed page's session is dropped within 3.5 s, between runs. Not sooner:
the session a page's request made must outlive the browser's loading of
BokehJS until its websocket connects (0.2 s did not, and the server built the
page's shell a second time for the websocket, which a served page never does
with Bokeh's default of 15 s)."""
OPEN_TIMEOUT_MS = 900_000

# Plot cards in the browser's copy of the document.
CARDS_JS = """() => {
    const doc = window.Bokeh && Bokeh.documents[0];
    if (!doc) return 0;
    let cards = 0;
    for (const model of doc._all_models.values()) {
        if (model.css_classes && model.css_classes.includes("plot-card")) cards++;
    }
    return cards;
}"""


class Prober(threading.Thread):
    """GETs `url` every `PROBE_PERIOD_S` and keeps (start, seconds) of each."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: list[tuple[float, float]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            began = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=600) as response:
                    response.read()
            except OSError:  # dropped by a server that far behind: still a delay
                pass
            took = time.monotonic() - began
            self.samples.append((began, took))
            self.stopped.wait(max(0.0, PROBE_PERIOD_S - took))

    def worst(self, start: float, end: float) -> float:
        """The slowest request that was waiting at any time in [start, end)."""
        waiting = [
            took for began, took in self.samples if began < end and began + took > start
        ]
        return max(waiting, default=float("nan"))


def loop_blocks(
    path: Path, start: float, end: float
) -> list[tuple[float, float, float]]:
    """Seconds of each long callback of the server's loop that ended in
    [start, end] (wall clock), the seconds of full collections in it and the
    CPU seconds of the loop's thread."""
    blocks = []
    for line in path.read_text().splitlines():
        ended, took, full, cpu = (float(field) for field in line.split())
        if start <= ended <= end:
            blocks.append((took, full, cpu))
    return blocks


def open_page(
    browser: Browser, url: str, plots: int, prober: Prober, blocks: Path
) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    frames: list[int] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))),
    )
    layout = many_plots(plots).to_url()
    target = f"{url}?layout={layout}"
    if len(layout) > MAX_LAYOUT_URL_CHARS:
        # Too long for a link: the browser keeps it and hands it to the page
        # (decision 073), as after an operator built it there.
        origin = urllib.parse.urlsplit(url)
        page.goto(f"{origin.scheme}://{origin.netloc}{PROBE_PATH}")
        page.evaluate(
            "(text) => localStorage.setItem('dashboard-layout', text)", layout
        )
        target = url
    began = time.monotonic()
    began_wall = time.time()
    page.goto(target, timeout=OPEN_TIMEOUT_MS)
    page.wait_for_function(
        f"() => ({CARDS_JS})() === {plots}", polling=100, timeout=OPEN_TIMEOUT_MS
    )
    built = time.monotonic()
    opened = loop_blocks(blocks, began_wall, time.time())
    page.wait_for_timeout(AFTER_S * 1000)  # the built page's frames, measured
    after = time.monotonic()
    context.close()
    return {
        "open_worst_s": prober.worst(began, built),
        "longest_block_s": max((took for took, _, _ in opened), default=0.0),
        "longest_build_s": max(
            (took for took, full, _ in opened if full <= SWEEP_FULL_S), default=0.0
        ),
        "most_cpu_s": max(
            (cpu for _, full, cpu in opened if full <= SWEEP_FULL_S), default=0.0
        ),
        "blocks_over": sum(1 for took, _, _ in opened if took > SLOW_S),
        "sweeps": sum(1 for _, full, _ in opened if full > SWEEP_FULL_S),
        "fill_s": built - began,
        "largest_message_mb": max(frames, default=0) / 1e6,
        "after_worst_s": prober.worst(built, after),
    }


def measure(browser: Browser, repo: Path, label: str) -> None:
    """Open each size `REPEATS` times on a server of `repo`; print the medians."""
    blocks = Path(tempfile.mkstemp(prefix="loop-blocks-", suffix=".txt")[1])
    env = {"PYTHONPATH": str(LOOP_BLOCKS), "BENCH_LOOP_BLOCKS": str(blocks)}
    with serve_dashboard([], serve_args=SESSION_CLEANUP, env=env, repo=repo) as server:
        if PIN:
            pin(server.pid, {SERVER_CPU})
        prober = Prober(f"http://127.0.0.1:{server.port}{PROBE_PATH}")
        prober.start()
        time.sleep(3)  # ingestion settles
        for plots in SIZES:
            if repo == REPO and plots > MAX_LAYOUT_PLOTS:
                print(f"{plots:>5} {label:<8} refused: a page shows {MAX_LAYOUT_PLOTS}")
                continue
            runs = [
                open_page(browser, server.url, plots, prober, blocks)
                for _ in range(REPEATS)
            ]
            report(
                plots,
                label,
                {n: statistics.median(r[n] for r in runs) for n in runs[0]},
            )
            time.sleep(4)  # the closed page's session is dropped
        prober.stopped.set()
        prober.join()
    blocks.unlink()


def pin(pid: int, cpus: set[int]) -> None:
    """Run every thread of process `pid` on `cpus` (threads it starts later
    inherit it)."""
    for thread in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(thread.name), cpus)


def report(plots: int, label: str, r: dict[str, float]) -> None:
    print(
        f"{plots:>5} {label:<8} {r['open_worst_s'] * 1000:>18.0f}ms "
        f"{r['longest_block_s'] * 1000:>14.0f}ms "
        f"{r['longest_build_s'] * 1000:>20.0f}ms "
        f"{r['most_cpu_s'] * 1000:>15.0f}ms {r['sweeps']:>11.0f} "
        f"{r['blocks_over']:>14.0f} "
        f"{r['fill_s']:>12.1f}s {r['largest_message_mb']:>14.2f}MB "
        f"{r['after_worst_s'] * 1000:>20.0f}ms",
        flush=True,
    )


def main() -> None:
    print(
        f"a page of N plots opening in headless chromium; a GET of {PROBE_PATH} "
        f"every {PROBE_PERIOD_S * 1000:.0f} ms; medians of {REPEATS} runs; "
        + (
            f"the server on core {SERVER_CPU}, the browser on core {BROWSER_CPU}"
            if PIN
            else "server and browser share the cores"
        )
    )
    if PIN:
        os.sched_setaffinity(0, {BROWSER_CPU})  # the browser below inherits it
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        print(
            f"{'plots':>5} {'code':<8} {'worst delay opening':>20} "
            f"{'longest block':>16} {'longest without a sweep':>22} "
            f"{'its CPU at most':>17} "
            f"{'sweeps':>11} {f'blocks > {SLOW_S * 1000:.0f} ms':>14} "
            f"{'all plots in':>13} {'largest message':>16} "
            f"{f'worst delay {AFTER_S:.0f} s after':>22}",
            flush=True,
        )
        if CODE in ("before", "both"):
            with checkout(BASELINE_REV) as old:
                measure(browser, old, BASELINE_REV)
        if CODE in ("ours", "both"):
            measure(browser, REPO, "ours")
        browser.close()


if __name__ == "__main__":
    main()
