"""Who cleared a key's history and when, for every plot of the key to say.

One ingestion per process (decision 006): the last clear of each key is kept
process-wide, so a plot in another session tells its operator who emptied it.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass

from app.durations import coarse_duration

CLEAR_NOTICED_NS = 5_000_000_000
"""A plot learns of a clear as it happens; a record older than this belongs to
an earlier clear, not to one made without a record (a deleted key)."""


@dataclass(frozen=True)
class Clear:
    """One clear of a key's history: by whom, at what time (ns since the epoch)."""

    who: str
    at_ns: int

    def describe(self, now_ns: int) -> str:
        """``cleared 3 min ago by alice``; relative, so no time zone is assumed."""
        seconds = (now_ns - self.at_ns) / 1e9
        when = "just now" if seconds < 1 else f"{coarse_duration(seconds)} ago"
        return f"cleared {when} by {self.who}"


_lock = threading.Lock()
_last: dict[Hashable, Clear] = {}


def record_clear(key: Hashable, who: str, at_ns: int) -> None:
    """Remember that `who` cleared `key` at `at_ns`."""
    with _lock:
        _last[key] = Clear(who, at_ns)


def clear_of(key: Hashable, now_ns: int) -> Clear | None:
    """The clear of `key` that just happened, or None if none was recorded."""
    with _lock:
        clear = _last.get(key)
    if clear is None or now_ns - clear.at_ns > CLEAR_NOTICED_NS:
        return None
    return clear
