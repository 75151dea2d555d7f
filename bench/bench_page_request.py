"""Benchmark: how long a page's first request holds its server's event loop.

Bokeh answers a page's GET by running the app and writing the page's HTML in
one callback of the server's loop: no other session draws and no other
request is answered meanwhile. A GET without a browser behind it costs just
that (served, the plots are built only once a browser's websocket connects,
decision 064), so its time is the request's share of a page's opening.

Two servers run side by side, the code before (``BENCH_REQUEST_BASELINE``, in
a temporary git worktree) and this working tree, each with the default layout
of the simulated instrument; their pages are requested in turns, `REQUESTS`
times each, one a second. Printed: median and largest time of a request of
each, and the ratio of the medians.
"""

from __future__ import annotations

import os
import statistics
import time
import urllib.request
from contextlib import ExitStack

from bench_page_build import checkout

from app.testing.local_server import REPO, serve_dashboard

BASELINE_REV = os.environ.get("BENCH_REQUEST_BASELINE", "a3e4915")
"""Before the sidebar's lists were made after the browser connected."""
REQUESTS = int(os.environ.get("BENCH_REQUEST_COUNT", "15"))
SETTLE_S = 5.0
"""Both servers' ingestion running before the first request."""


def request_s(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:
        response.read()
    return time.perf_counter() - began


def main() -> None:
    with ExitStack() as stack:
        old = stack.enter_context(checkout(BASELINE_REV))
        servers = {
            BASELINE_REV: stack.enter_context(serve_dashboard([], repo=old)),
            "ours": stack.enter_context(serve_dashboard([], repo=REPO)),
        }
        time.sleep(SETTLE_S)
        for server in servers.values():
            request_s(server.url)  # the first of a process compiles templates
        times: dict[str, list[float]] = {label: [] for label in servers}
        for _ in range(REQUESTS):
            for label, server in servers.items():
                times[label].append(request_s(server.url))
                time.sleep(0.5)
    print(
        f"a page's request (default layout, simulated instrument), "
        f"{REQUESTS} each in turns"
    )
    print(f"{'code':<10} {'median':>8} {'largest':>8}")
    for label, took in times.items():
        print(
            f"{label:<10} {statistics.median(took) * 1000:>6.0f}ms "
            f"{max(took) * 1000:>6.0f}ms"
        )
    before, ours = (statistics.median(took) for took in times.values())
    print(f"ours / before: {ours / before:.2f}")


if __name__ == "__main__":
    main()
