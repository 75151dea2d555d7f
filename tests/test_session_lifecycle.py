"""200 sessions opened and closed, some abruptly, leave the server as it was."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from app.testing.load_client import LoadClientProcess
from app.testing.local_server import (
    QUICK_SESSION_CLEANUP,
    LocalServer,
    serve_dashboard,
)
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
        serve_args=QUICK_SESSION_CLEANUP,
    ) as server:
        yield server


def counts(line: dict) -> tuple[int, int] | None:
    if "statuses" not in line:  # the line that says the sessions opened
        return None
    match = STATUS.search(line["statuses"][0])
    return (int(match[1]), int(match[2])) if match else None


def open_sessions(server: LocalServer, count: int, *, abrupt: bool) -> None:
    """Open `count` headless sessions in a client process, then end it.

    Abruptly: the process is killed, its sockets close without a close frame.
    """
    client = LoadClientProcess(server.url, sessions=count, settle=1.0, seconds=1.0)
    client.wait_for(lambda line: line.get("opened") == count, 600, "of the opening")
    if abrupt:
        client.kill()
    else:
        client.wait()


def at_rest(line: dict) -> bool:
    """The observer's own session alone: its two plots' subscribers."""
    return counts(line) == (1, 2)


# Each session costs the server its document and the client its parse: minutes.
@pytest.mark.timeout(1800)
def test_two_hundred_sessions_leave_sessions_subscribers_clocks_and_memory_as_before(
    server: LocalServer,
) -> None:
    observer = LoadClientProcess(server.url, seconds=1800.0, report_every=0.5)
    try:
        observer.wait_for(at_rest, 120, "with the observer alone")
        # One round first: what every session leaves behind for good (imports,
        # caches) is not a leak.
        open_sessions(server, PER_ROUND, abrupt=False)
        observer.wait_for(at_rest, 120, "after the warm-up")
        baseline = rss_bytes(server.pid)

        for round_ in range(ROUNDS):
            open_sessions(server, PER_ROUND, abrupt=round_ % 2 == 1)

        observer.wait_for(at_rest, 180, "after every session closed")
        last_closed = CLOSED.findall(server.log())[-1]
        assert last_closed == ("1", "2", "1"), "the observer's clock alone runs"
        deadline = time.monotonic() + 60
        while rss_bytes(server.pid) > 1.1 * baseline:
            assert time.monotonic() < deadline, (
                f"RSS {rss_bytes(server.pid) / 1e6:.0f} MB, not back within 10% "
                f"of {baseline / 1e6:.0f} MB"
            )
            time.sleep(0.5)  # polling the server's RSS, bounded by the deadline
    finally:
        observer.kill()
