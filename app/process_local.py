"""One value per server process: made on first use, made again in a fork.

``panel serve --num-procs`` forks its workers after the parent imported the
app: a child inherits the parent's module state but none of its threads, so
a value that owns threads or counts the process's sessions must be its own.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessLocal(Generic[T]):
    """A value this process makes once (`get`); a forked child starts empty."""

    def __init__(self) -> None:
        self._forget()
        os.register_at_fork(after_in_child=self._forget)

    def get(self, make: Callable[[], T]) -> T:
        """The process's value, made by `make` on the first call (under a lock)."""
        with self._lock:
            if self._value is None:
                self._value = make()
            return self._value

    def take(self) -> T | None:
        """The value, if made, leaving none: the next `get` makes a new one."""
        with self._lock:
            value, self._value = self._value, None
        return value

    def _forget(self) -> None:
        self._value: T | None = None
        self._lock = threading.Lock()
