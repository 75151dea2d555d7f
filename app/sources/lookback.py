"""The look-back: where a new dashboard starts reading each partition.

A dashboard started after a slow log last wrote would show nothing until its
next change if it began at the end of each partition. It begins a bounded
look-back before the end instead: no further back than `seconds` (by the
records' Kafka timestamps) and no more than `records` per partition
(see `docs/decisions/030-look-back-on-start.md`).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_LOOKBACK_S = 3600.0
"""Seconds of history read at start: long enough for logs that change hourly."""
DEFAULT_LOOKBACK_RECORDS = 1_000
"""Most records read at start per partition, however recent."""


@dataclass(frozen=True)
class LookBack:
    """How far back a new consumer reads each partition.

    Parameters
    ----------
    seconds:
        Records older than this (Kafka timestamp) are not read; 0 = live only.
    records:
        At most this many records before the end of each partition are read.
    """

    seconds: float = DEFAULT_LOOKBACK_S
    records: int = DEFAULT_LOOKBACK_RECORDS

    def __post_init__(self) -> None:
        if self.seconds < 0:
            raise ValueError(f"look-back seconds must be >= 0, got {self.seconds}")
        if self.records < 0:
            raise ValueError(f"look-back records must be >= 0, got {self.records}")

    @property
    def live_only(self) -> bool:
        """Whether nothing before the end of a partition is read."""
        return self.seconds == 0 or self.records == 0

    def cutoff_ms(self, now_ms: int) -> int:
        """The oldest Kafka timestamp (ms since the epoch) still read."""
        return now_ms - round(self.seconds * 1000)

    def start_offset(self, low: int, high: int, first_recent: int | None) -> int:
        """The offset to start reading a partition at.

        Parameters
        ----------
        low, high:
            The partition's watermarks: its oldest offset and the next one to
            be written.
        first_recent:
            The offset of the first record at or after the cutoff time, if the
            broker answered one (``offsets_for_times``); None if unknown.
        """
        start = max(low, high - self.records)
        if first_recent is not None:
            start = max(start, first_recent)
        return min(start, high)
