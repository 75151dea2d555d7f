"""Benchmark: 200 sessions opened and closed (every other round killed) against
one server process, which must be left as it was.

Eight rounds of 25 headless sessions after one warm-up round; prints how long
the churn took, the sessions, subscribers and frame clocks left, and the
server's RSS against the baseline taken after the warm-up (target: within 10%).
The suite's `tests/page/test_session_lifecycle.py` runs two rounds of ten.
"""

from __future__ import annotations

from app.testing.local_server import QUICK_SESSION_CLEANUP, serve_dashboard
from app.testing.session_churn import SERVER_ARGS, churn

ROUNDS = 8
PER_ROUND = 25


def main() -> None:
    with serve_dashboard(SERVER_ARGS, serve_args=QUICK_SESSION_CLEANUP) as server:
        result = churn(server, rounds=ROUNDS, per_round=PER_ROUND)
    sessions, subscribers, clocks = result.last_closed
    growth = result.rss_after / result.baseline_rss - 1
    print(
        f"{ROUNDS * PER_ROUND} sessions in {result.seconds:.0f} s: left "
        f"{sessions} sessions, {subscribers} subscribers, {clocks} frame clocks "
        "(the observer's: 1, 2, 1)"
    )
    print(
        f"RSS {result.baseline_rss / 1e6:.0f} MB before, "
        f"{result.rss_after / 1e6:.0f} MB after: {growth:+.1%} (target <= +10%)"
    )


if __name__ == "__main__":
    main()
