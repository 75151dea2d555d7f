"""ThrottledLog: at most one log line per topic per interval, with a count.

A broken producer or an unreachable broker can fail thousands of times a
second; the operator needs to know that it happens and how often, not every
instance. The first occurrence of a topic is logged at once; later ones within
the interval are counted and summarised by the next line of that topic.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

DEFAULT_INTERVAL_S = 10.0
"""Seconds between two lines of one topic."""


@dataclass
class _Topic:
    next_due: float
    suppressed: int = 0


class ThrottledLog:
    """Logs through `logger`, at most once per `interval_s` for each topic.

    Parameters
    ----------
    logger:
        Where the lines go.
    interval_s:
        Shortest time between two lines of the same topic.
    clock:
        Monotonic seconds; replaceable in tests.
    """

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval_s = interval_s
        self._clock = clock
        self._topics: dict[Hashable, _Topic] = {}
        self._lock = threading.Lock()

    def log(
        self,
        level: int,
        topic: Hashable,
        message: str,
        *args: object,
        exc_info: bool = False,
    ) -> bool:
        """Log ``message % args`` unless `topic` was logged within the interval.

        Returns
        -------
        :
            Whether a line was written.
        """
        now = self._clock()
        with self._lock:
            state = self._topics.get(topic)
            if state is not None and now < state.next_due:
                state.suppressed += 1
                return False
            suppressed = 0 if state is None else state.suppressed
            self._topics[topic] = _Topic(next_due=now + self._interval_s)
        if suppressed:
            message += " (and %d more like it in the last %.0f s)"
            args = (*args, suppressed, self._interval_s)
        self._logger.log(level, message, *args, exc_info=exc_info)
        return True

    def warning(self, topic: Hashable, message: str, *args: object, **kw: bool) -> bool:
        """`log` at WARNING."""
        return self.log(logging.WARNING, topic, message, *args, **kw)

    def error(self, topic: Hashable, message: str, *args: object, **kw: bool) -> bool:
        """`log` at ERROR."""
        return self.log(logging.ERROR, topic, message, *args, **kw)
