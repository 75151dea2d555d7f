"""Benchmark: the turns of a served page's build, in-process, beside older code.

A served page is built in turns of the server's loop (decision 064): the
sidebar's parts one a turn, then figures made and cards placed in slices.
No turn may hold the loop long: other sessions draw and requests wait
meanwhile. `bench_page_build.py` measures that with a browser and a live
server, where chromium on the same cores makes wall times move by half; this
one runs the same turns with nothing else on the machine, for the server's
own Python work.

For each of `PAGES` pages of 48 plots opened one after another on one
ingestion, every turn of the build is timed and put under what it did: the
sidebar (making or adding one of its parts, or listing the key browser's
keys), making plots (a step of each of a few figures or cards), or placing
cards on the page.
Not included: the message each turn sends (no browser is connected) and the
garbage collector's full passes (disabled while timing, as the served
process's collector keeps them out of builds, decision 102).

The code before this session's Bokeh-only key list and card headers
(``BENCH_TURNS_BASELINE``, default `BASELINE_REV`, in a temporary git
worktree) runs in a process of its own beside the working tree's, in the
same run; the ratio of the medians of placing is printed.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from worktree import checkout

from app.testing.local_server import REPO

BASELINE_REV = os.environ.get("BENCH_TURNS_BASELINE", "6b4339f")
PAGES = int(os.environ.get("BENCH_TURNS_PAGES", "6"))
PLOTS = 48
KINDS = ("sidebar", "make", "place")


def build_turns() -> dict[str, list[float]]:
    """Milliseconds of each turn of `PAGES` builds, by kind (run in a child)."""
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from app.ingestion.process import Ingestion
    from app.options import DashboardOptions
    from app.page.frame_clock import FrameClock
    from app.page.session import DashboardSession
    from app.sources import SimulatedInstrument
    from app.testing.many_plots import many_plots

    class NoFrames(FrameClock):
        """Draws no frames: the build's turns alone are timed."""

        def start(self, document: object) -> None:
            pass

    ingestion = Ingestion(SimulatedInstrument(seed=1), ingest_period_s=1.0)
    ingestion.orchestrator.update()
    turns: dict[str, list[float]] = {kind: [] for kind in KINDS}
    for _ in range(PAGES):
        document = Document()
        ticks: list = []
        document.add_next_tick_callback = ticks.append  # the turns, run here
        with set_curdoc(document):
            session = DashboardSession(
                ingestion,
                DashboardOptions(),
                layout=many_plots(PLOTS),
                frame_clock=NoFrames,
            )
            session.view.server_doc(document)
            session.start()
        gc.collect()
        gc.disable()
        try:
            while ticks:
                before = state(session)
                began = time.perf_counter()
                ticks.pop(0)()
                took_ms = (time.perf_counter() - began) * 1e3
                after = state(session)
                if after[0] > before[0]:
                    turns["place"].append(took_ms)
                elif after[1:] != before[1:]:
                    turns["sidebar"].append(took_ms)
                else:
                    turns["make"].append(took_ms)
        finally:
            gc.enable()
            session.close(None)
    return turns


def state(session: object) -> tuple[int, int, int, tuple]:
    """Cards placed, the sidebar's parts made and added, and the keys listed:
    what a turn did."""
    cards = sum(len(row) for row in session.grid.rows.values())
    browser = session.browser
    listed = () if browser is None else browser.shown_keys
    later = len(session._sidebar_later)
    return cards, later, len(session.sidebar.objects), listed


def measure(tree: Path) -> dict[str, list[float]]:
    """The turns of the code in `tree`, in a process of its own."""
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{Path(__file__).parent}"}
    out = subprocess.run(
        [sys.executable, __file__, "--child"],
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def report(label: str, turns: dict[str, list[float]]) -> None:
    cells = []
    for kind in KINDS:
        times = sorted(turns[kind])
        p90 = times[int(0.9 * (len(times) - 1))]
        cells.append(
            f"{statistics.median(times):>7.1f} {p90:>6.1f} {times[-1]:>6.1f}"
            f" ({len(times):>3})"
        )
    print(f"{label:<12} " + "   ".join(cells))


def main() -> None:
    print(
        f"turns of a served {PLOTS}-plot page's build, in-process, {PAGES} pages;"
        " ms: median, p90, largest (turns)"
    )
    print(f"{'code':<12} " + "   ".join(f"{kind:^27}" for kind in KINDS))
    with checkout(BASELINE_REV) as old:
        before = measure(old)
    ours = measure(REPO)
    report(BASELINE_REV, before)
    report("ours", ours)
    for kind in KINDS:
        median = statistics.median(before[kind]) / statistics.median(ours[kind])
        largest = max(before[kind]) / max(ours[kind])
        print(
            f"{kind}: {BASELINE_REV} / ours = {median:.2f} (median),"
            f" {largest:.2f} (largest)"
        )
    longest = max(max(turns) for turns in before.values())
    print(
        f"longest turn of all: {BASELINE_REV} {longest:.1f} ms,"
        f" ours {max(max(turns) for turns in ours.values()):.1f} ms"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        print(json.dumps(build_turns()))
    else:
        main()
