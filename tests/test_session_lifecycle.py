"""200 sessions opened and closed, some abruptly, leave the server as it was."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from app.testing.load_client import HeadlessSession, run_for
from app.testing.local_server import LocalServer, serve_dashboard
from app.testing.process_stats import rss_bytes

ROUNDS = 8
PER_ROUND = 25
STATUS = re.compile(r"(\d+) sessions · (\d+) subscribers")
CLOSED = re.compile(r"session closed: (\d+) sessions, (\d+) subscribers, (\d+) frame")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--frame-period",
            "0.2",
            "--keys",
            "log/sample_temperature",
        ],
        # Bokeh drops a session whose websocket closed after these milliseconds.
        serve_args=[
            "--check-unused-sessions",
            "200",
            "--unused-session-lifetime",
            "200",
        ],
    ) as server:
        yield server


def counts(observer: HeadlessSession) -> tuple[int, int] | None:
    match = STATUS.search(observer.status)
    return (int(match[1]), int(match[2])) if match else None


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        run_for(0.2)  # keeps the observer's messages flowing while waiting


def open_sessions(server: LocalServer, count: int, *, abrupt: bool) -> None:
    """Open `count` headless sessions in a client process, then end it.

    Abruptly: the process is killed, its sockets close without a close frame.
    """
    client = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.testing.load_client",
            server.url,
            "--sessions",
            str(count),
            "--settle",
            "1",
            "--seconds",
            "1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        opened = json.loads(client.stdout.readline())
        assert opened == {"opened": count}
        if abrupt:
            os.kill(client.pid, signal.SIGKILL)
        client.wait(timeout=120)
    finally:
        if client.poll() is None:
            os.kill(client.pid, signal.SIGKILL)
            client.wait()


# Each session costs the server its document and the client its parse: minutes.
@pytest.mark.timeout(1800)
def test_two_hundred_sessions_leave_sessions_subscribers_clocks_and_memory_as_before(
    server: LocalServer,
) -> None:
    observer = HeadlessSession(server.url)
    wait_for(lambda: counts(observer) == (1, 2), 60, "the observer's session")
    # One round first: what every session leaves behind for good (imports,
    # caches) is not a leak.
    open_sessions(server, PER_ROUND, abrupt=False)
    wait_for(lambda: counts(observer) == (1, 2), 120, "the warm-up to close")
    baseline = rss_bytes(server.pid)

    for round_ in range(ROUNDS):
        open_sessions(server, PER_ROUND, abrupt=round_ % 2 == 1)

    wait_for(lambda: counts(observer) == (1, 2), 180, "every session to close")
    last_closed = CLOSED.findall(server.log())[-1]
    assert last_closed == ("1", "2", "1"), "the observer's clock alone runs"
    wait_for(
        lambda: rss_bytes(server.pid) <= 1.1 * baseline,
        60,
        f"RSS back within 10% of {baseline / 1e6:.0f} MB, "
        f"now {rss_bytes(server.pid) / 1e6:.0f} MB",
    )
    observer.close()
