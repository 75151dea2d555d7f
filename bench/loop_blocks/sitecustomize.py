"""Loop blocks of a benchmark's server, for `bench_page_build.py`: not part of
the dashboard.

On the ``PYTHONPATH`` of a server the benchmark starts, with
``BENCH_LOOP_BLOCKS`` naming a file: every callback of the server's asyncio
loop that runs longer than 10 ms appends a line "<wall-clock end> <seconds>".
No other session or request of that process runs during such a callback, so
the longest is how long the page's build blocked everyone at a time.
"""

import asyncio.events
import os
import time

_PATH = os.environ.get("BENCH_LOOP_BLOCKS")
if _PATH:
    _out = open(_PATH, "a", buffering=1)  # noqa: SIM115 - as long as the process
    _run = asyncio.events.Handle._run

    def _timed(self: asyncio.events.Handle) -> None:
        began = time.perf_counter()
        try:
            _run(self)
        finally:
            took = time.perf_counter() - began
            if took > 0.01:
                _out.write(f"{time.time():.4f} {took:.4f}\n")

    asyncio.events.Handle._run = _timed
