"""Records and polling shared by the recording tests."""

from __future__ import annotations

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
