"""Sessions opened and closed, some abruptly, against a dashboard server: the
server must be left as it was (sessions, subscribers, frame clocks, memory).

Shared by the suite's short churn and the benchmark's 200-session one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.page.session import STATUS_PERIOD_NS
from app.testing.load_client import LoadClientProcess
from app.testing.local_server import LocalServer
from app.testing.process_stats import rss_bytes

STATUS = re.compile(r"(\d+) sessions · (\d+) subscribers")
CLOSED = re.compile(r"session closed: (\d+) sessions, (\d+) subscribers, (\d+) frame")
SERVER_ARGS = ["--frame-period", "0.2", "--keys", "log/sample_temperature"]
"""One key: the observer's page then holds two plots, two subscribers."""


@dataclass(frozen=True)
class ChurnResult:
    """What the server held before and after the churn."""

    baseline_rss: int
    rss_after: int
    last_closed: tuple[str, str, str]
    seconds: float


def counts(line: dict) -> tuple[int, int] | None:
    """Sessions and subscribers from a load client's status line, if any."""
    if "statuses" not in line:  # the line that says the sessions opened
        return None
    match = STATUS.search(line["statuses"][0])
    return (int(match[1]), int(match[2])) if match else None


STATUS_LAG_S = 2 * STATUS_PERIOD_NS / 1e9
"""A status line printed this long after a change shows it: the page's status
is refreshed once a period."""


def at_rest(line: dict) -> bool:
    """The observer's own session alone: its two plots' subscribers."""
    return counts(line) == (1, 2)


def client_of(server: LocalServer, count: int) -> LoadClientProcess:
    """A client process for `count` sessions, started now, opening them when told."""
    return LoadClientProcess(
        server.url, sessions=count, settle=1.0, seconds=1.0, when_told=True
    )


def open_sessions(
    client: LoadClientProcess,
    count: int,
    *,
    abrupt: bool,
    meanwhile: Callable[[], object] = lambda: None,
) -> None:
    """Open `count` headless sessions in `client`, then end it.

    Abruptly: the process is killed, its sockets close without a close frame.
    `meanwhile` is called once they opened (it starts the next client, whose
    imports take the seconds these sessions live).
    """
    client.open()
    client.wait_for(lambda line: line.get("opened") == count, 600, "of the opening")
    meanwhile()
    if abrupt:
        client.kill()
    else:
        client.wait()


def churn(
    server: LocalServer, *, rounds: int, per_round: int, rss_settle_s: float = 60.0
) -> ChurnResult:
    """Open `rounds` rounds of `per_round` sessions (every other one killed).

    One round first is not counted: what every session leaves behind for good
    (imports, caches) is not a leak. Returns once the observer is alone again
    and the server's RSS is back within 10% of the baseline, or `rss_settle_s`
    has passed.
    """
    observer = LoadClientProcess(server.url, seconds=3600.0, report_every=0.5)
    # Each round's client is started while the one before it runs.
    clients = [client_of(server, per_round)]
    try:
        observer.wait_for(at_rest, 120, "with the observer alone")
        open_sessions(
            clients[0],
            per_round,
            abrupt=False,
            meanwhile=lambda: clients.append(client_of(server, per_round)),
        )
        observer.wait_for(
            at_rest, 120, "after the warm-up", printed_after=time.time() + STATUS_LAG_S
        )
        baseline = rss_bytes(server.pid)
        start = time.monotonic()
        for round_ in range(rounds):
            last = round_ == rounds - 1
            open_sessions(
                clients[-1],
                per_round,
                abrupt=round_ % 2 == 1,
                meanwhile=(
                    (lambda: None)
                    if last
                    else lambda: clients.append(client_of(server, per_round))
                ),
            )
        observer.wait_for(
            at_rest,
            180,
            "after every session closed",
            printed_after=time.time() + STATUS_LAG_S,
        )
        seconds = time.monotonic() - start
        last_closed = CLOSED.findall(server.log())[-1]
        deadline = time.monotonic() + rss_settle_s
        while rss_bytes(server.pid) > 1.1 * baseline and time.monotonic() < deadline:
            time.sleep(0.5)  # polling the server's RSS, bounded by the deadline
        return ChurnResult(baseline, rss_bytes(server.pid), last_closed, seconds)
    finally:
        observer.kill()
        for client in clients:
            client.kill()
