"""Loop blocks of a benchmark's server, for `bench_page_build.py`: not part of
the dashboard.

On the ``PYTHONPATH`` of a server the benchmark starts, with
``BENCH_LOOP_BLOCKS`` naming a file: every callback of the server's asyncio
loop that runs longer than 10 ms appends a line "<wall-clock end> <seconds>
<seconds of full garbage collections in it> <CPU seconds of the loop's
thread>". No other session or request of that process runs during such a
callback, so the longest is how long the page's build blocked everyone at a
time; the collections say which blocks were the collector's full passes (a
sweep of closed pages, decision 102); the CPU time is the server's own work,
without the time the browser on the same cores (or another thread of the
server) took from it.
"""

import asyncio.events
import gc
import os
import time

_PATH = os.environ.get("BENCH_LOOP_BLOCKS")
if _PATH:
    _out = open(_PATH, "a", buffering=1)  # noqa: SIM115 - as long as the process
    _run = asyncio.events.Handle._run
    _full = {"seconds": 0.0, "began": 0.0}

    def _collection(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            _full["began"] = time.perf_counter()
        else:
            _full["seconds"] += time.perf_counter() - _full["began"]

    gc.callbacks.append(_collection)

    def _timed(self: asyncio.events.Handle) -> None:
        began = time.perf_counter()
        cpu_began = time.thread_time()
        full_before = _full["seconds"]
        try:
            _run(self)
        finally:
            took = time.perf_counter() - began
            if took > 0.01:
                full = _full["seconds"] - full_before
                cpu = time.thread_time() - cpu_began
                _out.write(f"{time.time():.4f} {took:.4f} {full:.4f} {cpu:.4f}\n")

    asyncio.events.Handle._run = _timed
