"""Several server processes (panel serve --num-procs), each with its own ingestion."""

from __future__ import annotations

import re
import time

import pytest

from app.testing.load_client import LoadClientProcess
from app.testing.local_server import process_running, serve_dashboard

pytestmark = pytest.mark.server

PROCESS = re.compile(r"process (\d+)")
STARTED = re.compile(r"ingestion started in process (\d+)")
RATE = re.compile(r"(\d+\.\d) msg/s")
ARGS = ["--keys", "log/sample_temperature", "--frame-period", "0.2"]


@pytest.mark.timeout(600)
def test_every_worker_ingests_from_its_start_and_serves_pages_that_update() -> None:
    with serve_dashboard(ARGS, serve_args=["--num-procs", "2"]) as server:
        # Connections are spread over the processes by the kernel: a dozen
        # pages land on both. The client imports while the workers start.
        client = LoadClientProcess(
            server.url,
            sessions=12,
            settle=1.0,
            seconds=2.0,
            report_every=1.0,
            when_told=True,
        )
        try:
            deadline = time.monotonic() + 120
            while len(set(STARTED.findall(server.log()))) < 2:
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.05)  # polling the log, bounded by the deadline
            # Both ingest before any page was opened.
            ingesting = set(STARTED.findall(server.log()))
            assert "WebSocket connection opened" not in server.log()

            client.open()
            line = client.wait_for(
                lambda line: "frames_per_s" in line, 300, "after the sessions ran"
            )
            client.wait()
        finally:
            client.kill()
    # Stopping the server ended the workers it forked too.
    left = [pid for pid in ingesting if process_running(int(pid))]
    assert not left, f"workers {left} outlived the server"
    served = {}
    for status, rate in zip(line["statuses"], line["frames_per_s"], strict=True):
        process = PROCESS.search(status)
        assert process, status
        served.setdefault(process[1], []).append((status, rate))
    assert set(served) == ingesting
    for pages in served.values():
        status, rate = pages[0]
        assert rate > 0, "frames kept arriving"
        assert float(RATE.search(status)[1]) > 0, status
