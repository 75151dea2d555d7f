"""Durations as operators read them: coarse enough not to change every frame."""

from __future__ import annotations


def coarse_duration(seconds: float) -> str:
    """``< 1 s``, ``42 s``, ``3 min``, ``1.5 h``."""
    if seconds < 1:
        return "< 1 s"
    if seconds < 120:
        return f"{int(seconds)} s"
    if seconds < 7200:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"
