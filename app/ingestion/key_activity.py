"""KeyActivity: per-key arrival counts, rates and ages, kept as values are written.

A thin `DataSink` in front of the DataService: the ingestion writes through it,
and it counts each key's arrivals in O(1). The key browser and the status pill
read it once a second; nothing ever scans buffers for it (decision 052).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from app.data.sink import DataSink
from app.staleness import is_stale

SMOOTHING = 0.2
"""Weight of the newest interval in a key's usual interval (an exponential mean)."""


@dataclass(frozen=True)
class Arrival:
    """What arrived for one key: how many values, how often, and when last."""

    count: int
    last_ns: int
    interval_s: float | None

    def rate_hz(self, now_ns: int) -> float:
        """Values per second lately; 0 once the key is stale."""
        if self.interval_s is None or self.stale(now_ns):
            return 0.0
        return 1.0 / self.interval_s if self.interval_s > 0 else float("inf")

    def age_s(self, now_ns: int) -> float:
        """Seconds since the newest value arrived."""
        return max(0, now_ns - self.last_ns) / 1e9

    def stale(self, now_ns: int) -> bool:
        """Whether the key went quiet for longer than it usually does (decision 070)."""
        usual_ns = None if self.interval_s is None else self.interval_s * 1e9
        return is_stale(max(0, now_ns - self.last_ns), usual_ns)


class KeyActivity:
    """Counts arrivals per key on their way into `sink`.

    Written by the ingestion thread only; read from any thread without a lock:
    each key's `Arrival` is replaced whole, never changed in place.
    """

    def __init__(
        self, sink: DataSink[Hashable], clock_ns: Callable[[], int] = time.time_ns
    ) -> None:
        self._sink = sink
        self._clock_ns = clock_ns
        self._arrivals: dict[Hashable, Arrival] = {}

    def transaction(self) -> AbstractContextManager[Any]:
        """The sink's transaction."""
        return self._sink.transaction()

    def __setitem__(self, key: Hashable, value: Any) -> None:
        self._sink[key] = value
        now_ns = self._clock_ns()
        previous = self._arrivals.get(key)
        if previous is None:
            self._arrivals[key] = Arrival(count=1, last_ns=now_ns, interval_s=None)
            return
        interval = max(0, now_ns - previous.last_ns) / 1e9
        usual = (
            interval
            if previous.interval_s is None
            else (1 - SMOOTHING) * previous.interval_s + SMOOTHING * interval
        )
        self._arrivals[key] = Arrival(
            count=previous.count + 1, last_ns=now_ns, interval_s=usual
        )

    def get(self, key: Hashable) -> Arrival | None:
        """What arrived for `key`, or None if nothing did."""
        return self._arrivals.get(key)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(list(self._arrivals))
