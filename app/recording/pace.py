"""How fast a replay goes, in the words the page shows (decision 019)."""

from __future__ import annotations

import math

MAX_SPEED = math.inf
"""The speed of a replay as fast as the dashboard applies (``--speed max``)."""


def speed_words(speed: float) -> str:
    """``'REPLAY 10x'``, ``'REPLAY 0.5x'``, ``'REPLAY max'``: what the page says."""
    if math.isinf(speed):
        return "REPLAY max"
    return f"REPLAY {speed:g}x"
