"""Staleness: the one rule for when a stream's newest value no longer looks live.

A plot's header (`Plotter.stale`, from its data's times) and the key browser
and status pill (`Arrival.stale`, from arrivals) both judge by it (decision 070).
A key that publishes only on change (`SourceStatus.on_change_keys`, f144 logs)
is not judged by it while its source is connected: quiet is not stale there
(decision 076).
"""

from __future__ import annotations

STALE_AFTER_NS = 5_000_000_000
"""Nothing is stale younger than this: a fast key may pause for a moment."""

STALE_INTERVALS = 5
"""Nor younger than this many usual intervals: a slow key is not stale between
its values."""


def stale_after_ns(usual_interval_ns: float | None) -> float:
    """How old the newest value may get before it is stale: max(5 s, 5 intervals).

    Parameters
    ----------
    usual_interval_ns:
        The usual time between two values, or None while it is not known.
    """
    if usual_interval_ns is None:
        return STALE_AFTER_NS
    return max(STALE_AFTER_NS, STALE_INTERVALS * usual_interval_ns)


def is_stale(age_ns: float, usual_interval_ns: float | None) -> bool:
    """Whether a newest value `age_ns` old is stale, given the usual interval."""
    return age_ns > stale_after_ns(usual_interval_ns)
