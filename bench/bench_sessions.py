"""Benchmark: one server process serving 1, 10, 25, 32 and 50 sessions.

Sessions are headless (`app.testing.load_client`: Bokeh's Python client, which
acknowledges every frame at once like a fast browser), so the server is measured
apart from browsers. By default they apply only frame numbers and the status
line (``--acks-only``): applying every change, as ``--full-client`` does, costs
Bokeh's client more than it costs the server, and with 32 sessions on a 2-core
machine the frame rate measured the client. Default layout (13 plots),
simulated instrument at 5 Hz, frame period 0.2 s. Prints, per N: server CPU
(per session too), the frames per second each session receives (median and
lowest; 5.0 is the full rate), the server's CPU time per session-frame, and
its RSS and RSS growth per session over the idle process, each measured over
20 s after the sessions settled.
``--baseline DIR`` serves a checkout of older code beside this one, and the
two are measured in turns, N by N, so load from elsewhere weighs on both alike.
``--max-sessions`` is raised for the run: the bench measures beyond the bound.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from app.testing.local_server import REPO, LocalServer, serve_dashboard
from app.testing.process_stats import CpuMeter, rss_bytes

MEASURE_S = 20.0
SETTLE_S = 5.0
FULL_RATE = 5.0


def serve(
    url: str, pid: int, sessions: int, *, full_client: bool = False
) -> dict[str, float]:
    client = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.testing.load_client",
            *([] if full_client else ["--acks-only"]),
            url,
            "--sessions",
            str(sessions),
            "--settle",
            str(SETTLE_S),
            "--seconds",
            str(MEASURE_S),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    json.loads(client.stdout.readline())  # every session is open
    time.sleep(SETTLE_S)  # the client's own settling, measured by neither
    meter = CpuMeter(pid)
    time.sleep(MEASURE_S)  # the measurement window
    percent = meter.percent()
    rss = rss_bytes(pid)
    result = json.loads(client.stdout.readline())
    client.wait(timeout=120)
    rates = result["frames_per_s"]
    return {
        "cpu": percent,
        "ms_per_frame": 10 * percent / max(sum(rates), 1e-9),
        "fps_median": statistics.median(rates),
        "fps_min": min(rates),
        "rss_mb": rss / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a checkout of the code before")
    parser.add_argument(
        "--sessions", default="1,10,25,32,50", help="numbers of sessions, a,b,..."
    )
    parser.add_argument(
        "--full-client",
        action="store_true",
        help="sessions apply every change to their documents (costs the client)",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",")]
    checkouts = {"this": REPO}
    if args.baseline:
        checkouts = {"before": Path(args.baseline).resolve(), **checkouts}
    print(
        "server process with N headless sessions, default layout, 5 Hz, "
        f"frame period 0.2 s (full rate {FULL_RATE:.0f} frames/s per session), "
        f"{'full' if args.full_client else 'acks-only'} client"
    )
    print(
        f"{'code':>6} {'N':>4} {'server CPU':>10} {'per session':>11} "
        f"{'fps median':>10} {'fps min':>8} {'ms/frame':>8} {'RSS':>8} "
        f"{'RSS/session':>11}"
    )
    with ExitStack() as stack:
        servers: dict[str, LocalServer] = {}
        for name, repo in checkouts.items():
            app_args = ["--max-sessions", "1000"] if name == "this" else []
            servers[name] = stack.enter_context(
                serve_dashboard(
                    app_args,
                    serve_args=["--unused-session-lifetime", "1000"],
                    repo=repo,
                )
            )
        time.sleep(3)  # ingestion settles
        idle_rss = {}
        for name, server in servers.items():
            idle = CpuMeter(server.pid)
            time.sleep(10)  # the idle window
            idle_rss[name] = rss_bytes(server.pid) / 1e6
            print(
                f"{name:>6} {0:>4} {idle.percent():>9.1f}% {'':>11} {'':>10} "
                f"{'':>8} {'':>8} {idle_rss[name]:>6.0f}MB"
            )
        for sessions in counts:
            for name, server in servers.items():
                result = serve(
                    server.url, server.pid, sessions, full_client=args.full_client
                )
                growth = (result["rss_mb"] - idle_rss[name]) / sessions
                print(
                    f"{name:>6} {sessions:>4} {result['cpu']:>9.1f}% "
                    f"{result['cpu'] / sessions:>10.2f}% "
                    f"{result['fps_median']:>10.2f} {result['fps_min']:>8.2f} "
                    f"{result['ms_per_frame']:>8.2f} {result['rss_mb']:>6.0f}MB "
                    f"{growth:>9.1f}MB",
                    flush=True,
                )
                time.sleep(3)  # the client's sessions close
    print("target: 32 sessions at 4.8 frames/s or more each, 6 ms a session-frame")


if __name__ == "__main__":
    main()
