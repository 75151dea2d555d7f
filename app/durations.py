"""Durations as operators read them: coarse enough not to change every frame."""

from __future__ import annotations

HOUR = 3600.0
DAY = 24 * HOUR
YEAR = 365.25 * DAY


def coarse_duration(seconds: float) -> str:
    """``< 1 s``, ``42 s``, ``3 min``, ``1.5 h``, ``3 d``, ``57 y``.

    Hours up to two days, days up to a year, then years: an age of decades
    (a source whose clock says 1970) reads as such, not as 499030.6 h.
    """
    if seconds < 1:
        return "< 1 s"
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 2 * HOUR:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * DAY:
        return f"{seconds / HOUR:.1f} h"
    if seconds < YEAR:
        return f"{int(seconds // DAY)} d"
    return f"{int(seconds // YEAR)} y"


def format_seconds(seconds: float) -> str:
    """A span as a plot's extent reads: ``300`` -> ``5 min``; ``10`` -> ``10 s``."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"
