"""Benchmark: one server process serving 1, 10, 25 and 50 sessions.

Sessions are headless (`app.testing.load_client`: Bokeh's Python client, which
acknowledges every frame at once like a fast browser), so the server is measured
apart from browsers. Default layout (11 plots), simulated instrument at 5 Hz,
frame period 0.2 s. Prints, per N: server CPU (per session too), the frames per
second each session receives (median and lowest; 5.0 is the full rate), and the
server's RSS, each measured over 20 s after the sessions settled.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from app.testing.local_server import serve_dashboard
from app.testing.process_stats import CpuMeter, rss_bytes

MEASURE_S = 20.0
SETTLE_S = 5.0
FULL_RATE = 5.0


def serve(url: str, pid: int, sessions: int) -> dict[str, float]:
    client = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.testing.load_client",
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
        "fps_median": statistics.median(rates),
        "fps_min": min(rates),
        "rss_mb": rss / 1e6,
    }


def main() -> None:
    print(
        "server process with N headless sessions, default layout, 5 Hz, "
        f"frame period 0.2 s (full rate {FULL_RATE:.0f} frames/s per session)"
    )
    print(
        f"{'N':>4} {'server CPU':>10} {'per session':>11} {'fps median':>10} "
        f"{'fps min':>8} {'RSS':>8}"
    )
    with serve_dashboard(
        [], serve_args=["--unused-session-lifetime", "1000"]
    ) as server:
        time.sleep(3)  # ingestion settles
        idle = CpuMeter(server.pid)
        time.sleep(10)  # the idle window
        print(
            f"{0:>4} {idle.percent():>9.1f}% {'':>11} {'':>10} {'':>8} "
            f"{rss_bytes(server.pid) / 1e6:>6.0f}MB"
        )
        for sessions in (1, 10, 25, 50):
            result = serve(server.url, server.pid, sessions)
            print(
                f"{sessions:>4} {result['cpu']:>9.1f}% "
                f"{result['cpu'] / sessions:>10.2f}% {result['fps_median']:>10.2f} "
                f"{result['fps_min']:>8.2f} {result['rss_mb']:>6.0f}MB"
            )
            time.sleep(3)  # the client's sessions close
    print("target: 50 sessions at the full frame rate on one core (100%)")


if __name__ == "__main__":
    main()
