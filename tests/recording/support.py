"""Records and polling shared by the recording tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from app.sources.wire import WireRecord

T0 = 1_700_000_000_000_000_000


def record(i: int, *, size: int = 100, arrived_ns: int | None = None) -> WireRecord:
    """A record whose every field says its sequence number `i`."""
    return WireRecord(
        topic="data",
        partition=i % 3,
        offset=i,
        timestamp_ms=T0 // 1_000_000 + i,
        key=None if i % 2 else f"key{i}".encode(),
        value=bytes([i % 256]) * size,
        arrived_ns=T0 + i if arrived_ns is None else arrived_ns,
    )


def poll_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    """Return once `condition()` holds; fail the test at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        time.sleep(0.01)
