"""Several server processes (panel serve --num-procs), each with its own ingestion."""

from __future__ import annotations

import re
import time

import pytest

from app.testing.load_client import HeadlessSession, run_for
from app.testing.local_server import serve_dashboard

PROCESS = re.compile(r"process (\d+)")
STARTED = re.compile(r"ingestion started in process (\d+)")
ARGS = ["--keys", "log/sample_temperature", "--frame-period", "0.2"]


@pytest.mark.timeout(600)
def test_every_worker_ingests_from_its_start_and_serves_pages_that_update() -> None:
    with serve_dashboard(ARGS, serve_args=["--num-procs", "2"]) as server:
        deadline = time.monotonic() + 120
        while len(set(STARTED.findall(server.log()))) < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)  # polling the log, bounded by the deadline
        # Both ingest before any page was opened.
        ingesting = set(STARTED.findall(server.log()))

        served: dict[str, HeadlessSession] = {}
        sessions = []
        while len(served) < 2:
            assert len(sessions) < 30, f"every page landed on {set(served)}"
            session = HeadlessSession(server.url)
            sessions.append(session)
            deadline = time.monotonic() + 60
            while not PROCESS.search(session.status):
                assert time.monotonic() < deadline, session.status
                run_for(0.2)
            served.setdefault(PROCESS.search(session.status)[1], session)

        assert set(served) == ingesting
        for session in served.values():
            frames = session.frames
            deadline = time.monotonic() + 60
            while session.frames < frames + 3 or "msg/s" not in session.status:
                assert time.monotonic() < deadline
                run_for(0.2)
            assert re.search(r"[1-9][0-9.]* msg/s", session.status), session.status
        for session in sessions:
            session.close()
