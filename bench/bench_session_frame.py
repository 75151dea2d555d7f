"""Benchmark: the server's time for one session-frame, in one process, no network.

N sessions of the default layout (13 plots) on one simulated ingestion at 5 Hz,
each in its own Bokeh document. A served frame's changes go out as one
PATCH-DOC message when its connection releases Panel's hold; without a
connection Panel drains them otherwise, so few reach the encoder here and what
a frame's message costs is measured served (`bench_sessions.py`). Every 0.2 s
the ingestion applies its batch and every session draws one frame; the
status, pill and key browser change once a second as served. Prints the mean
milliseconds per session-frame and, with ``--profile``, the functions that
cost most. ``--baseline DIR`` runs the same in a checkout of older code (its
own process) and prints both.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

PERIOD_S = 0.2
WARM_UP = 10
"""Periods drawn before the measurement: the first frames draw whole histories."""


def send(protocol: object, event: object) -> None:
    """Encode a change of a document as the server does for its browser."""
    from bokeh.document.events import DocumentPatchedEvent

    if isinstance(event, DocumentPatchedEvent):
        protocol.create("PATCH-DOC", [event])


def measure(sessions: int, periods: int, profile: str | None) -> float:
    """Mean CPU seconds per session-frame, over `periods` periods.

    The CPU time of the drawing thread, not the wall clock: other processes on
    a shared machine do not count.
    """
    import panel as pn
    from bokeh.document import Document
    from bokeh.protocol import Protocol
    from panel.io.state import set_curdoc

    from app.ingestion.process import Ingestion
    from app.options import DashboardOptions
    from app.page.session import DashboardSession
    from app.sources import SimulatedInstrument

    ingestion = Ingestion(SimulatedInstrument(rate_hz=5.0), ingest_period_s=1.0)
    # Every key of the instrument is there before the pages are built: a
    # page's later plots would be built in callbacks no loop runs here.
    for _ in range(10):
        ingestion.orchestrator.update()
        time.sleep(PERIOD_S)
    protocol = Protocol()
    pages = []
    for _ in range(sessions):
        document = Document()
        with set_curdoc(document):
            session = DashboardSession(ingestion, DashboardOptions())
            # No event loop here: frames are drawn by this loop, not the clock.
            session._clock.start = lambda document: None
            page = pn.Row(session.sidebar, session.view)
            document.add_root(page.get_root(document))
            document.on_change(lambda event: send(protocol, event))
            session.start()
            while session._pending():
                session._next_slice()
        pages.append((document, session))
    # Every page shows the whole default layout (13 plots of the simulated
    # instrument): one built before the catalog was complete would show fewer.
    plots = {len(session.plotters) for _, session in pages}
    assert plots == {13}, f"default layouts of {plots} plots, not 13"
    # The sessions' clock moves a period per period, whatever the frames
    # cost here: the status and the key browser change once in five frames,
    # as served at the full rate.
    import app.page.session

    clock_ns = [time.time_ns()]
    app.page.session.time = SimpleNamespace(
        time_ns=lambda: clock_ns[0], perf_counter=time.perf_counter
    )
    profiler = cProfile.Profile() if profile else None
    spent = 0.0
    frames = 0
    next_period = time.monotonic()
    for period in range(WARM_UP + periods):
        if period == WARM_UP:  # the first frames draw the whole history
            spent, frames = 0.0, 0
        next_period += PERIOD_S
        clock_ns[0] += int(PERIOD_S * 1e9)
        ingestion.orchestrator.update()
        began = time.thread_time()
        if profiler and period >= WARM_UP:
            profiler.enable()
        for document, session in pages:
            with set_curdoc(document):
                session.draw_frame()
        if profiler:
            profiler.disable()
        spent += time.thread_time() - began
        frames += len(pages)
        time.sleep(max(0.0, next_period - time.monotonic()))
    for _, session in pages:
        session.close(None)
    if profiler:
        profiler.dump_stats(profile)
    return spent / frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--periods", type=int, default=50)
    parser.add_argument("--profile", help="write a cProfile of the frames here")
    parser.add_argument("--baseline", help="a checkout of the code before")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        ms = 1000 * measure(args.sessions, args.periods, args.profile)
        print(json.dumps({"ms": ms}))
        return
    checkouts = {"this code": Path(__file__).resolve().parents[1]}
    if args.baseline:
        checkouts = {"before": Path(args.baseline).resolve(), **checkouts}
    print(
        f"{args.sessions} sessions, default layout, 5 Hz, {args.periods} periods "
        f"of {PERIOD_S} s; CPU time per session-frame, no network"
    )
    for name, repo in checkouts.items():
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--json",
            f"--sessions={args.sessions}",
            f"--periods={args.periods}",
        ]
        if args.profile:
            command.append(f"--profile={args.profile}.{name.replace(' ', '-')}")
        env = {**os.environ, "PYTHONPATH": str(repo)}
        output = subprocess.run(
            command, env=env, cwd=repo, capture_output=True, text=True, check=True
        ).stdout
        ms = json.loads(output.strip().splitlines()[-1])["ms"]
        print(f"{name:>10}: {ms:6.2f} ms per session-frame")
        if args.profile:
            stats = pstats.Stats(f"{args.profile}.{name.replace(' ', '-')}")
            stats.sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
