"""FramePace: how fast this process's sessions may draw (decision 038).

A frame period of 0.2 s lets one process serve 32 sessions, but a value that
arrives at 10 Hz then waits for the next slot half of the time: about 100 ms
in the median from Kafka to the page. While the process has room, a shorter
period costs nothing anyone else needs. The process measures the share of its
event loop that drawing frames takes; its sessions draw at the fast period
while that share is low, and at the operator's period once it is not, with a
band between the two so the pace does not flap.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from app.process_local import ProcessLocal

FAST_BELOW = 0.20
"""Busy share (drawing at the slow period) under which sessions draw fast."""
SLOW_ABOVE = 0.50
"""Busy share (drawing at the fast period) over which sessions draw slowly:
halving the rate then leaves about a quarter, inside the band."""
AVERAGE_S = 2.0
"""Time constant of the busy share: a few periods, so a burst of page builds
does not slow every session, while a crowd of sessions does within seconds."""


class FramePace:
    """The busy share of drawing frames in one process, and the period it allows.

    Parameters
    ----------
    clock:
        Monotonic seconds; replaceable in tests.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._busy_s = 0.0  # drawing time, decayed with AVERAGE_S
        self._at = clock()
        self._fast = True

    def drew(self, seconds: float) -> None:
        """Count one frame's drawing time."""
        with self._lock:
            self._decay()
            self._busy_s += seconds

    def busy(self) -> float:
        """The share of the last seconds spent drawing (0 to about 1)."""
        with self._lock:
            self._decay()
            return self._busy_s / AVERAGE_S

    def fast(self) -> bool:
        """Whether sessions may draw at the fast period now."""
        share = self.busy()
        with self._lock:
            if self._fast and share > SLOW_ABOVE:
                self._fast = False
            elif not self._fast and share < FAST_BELOW:
                self._fast = True
            return self._fast

    def _decay(self) -> None:
        now = self._clock()
        elapsed = now - self._at
        if elapsed > 0:
            self._busy_s *= math.exp(-elapsed / AVERAGE_S)
            self._at = now


_pace: ProcessLocal[FramePace] = ProcessLocal()


def frame_pace() -> FramePace:
    """This process's pace, shared by its sessions."""
    return _pace.get(FramePace)
