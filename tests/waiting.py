"""Waiting in tests: poll a condition with a deadline, never sleep for it."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def poll_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Return once `condition()` holds; fail the test at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(0.01)
