"""Names and polling shared by the Kafka tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

DATA_TOPIC = "data"
LOG_TOPIC = "logs"
PARTITIONS = 4


def poll_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Return once `condition()` holds; fail the test at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(0.01)
