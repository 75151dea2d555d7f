"""FrameClock: when one browser session draws: soon after new data, at most once
per frame period, and once a heartbeat when nothing arrives."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable

from bokeh.document import Document
from panel.io.state import set_curdoc
from tornado.ioloop import IOLoop

logger = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
"""Longest time between two frames: ages in headers and the status line move."""


class FrameClock:
    """Schedules a session's frames on the session's own event loop.

    `request` may be called from any thread (the ingestion thread calls it when
    a plot received data); the frame itself runs as a callback of the session's
    Bokeh document, the only place that may touch it. Frames are at least
    `period_s` apart, so each carries one batch of everything that changed.

    Parameters
    ----------
    draw:
        Draws one frame.
    period_s:
        Shortest time between two frames.
    heartbeat_s:
        A frame is requested at least this often.
    """

    def __init__(
        self,
        draw: Callable[[], None],
        period_s: float,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self._draw = draw
        self._period_s = period_s
        self._heartbeat_s = max(heartbeat_s, period_s)
        self._lock = threading.Lock()
        self._requested = False
        self._running = False
        self._last_frame = float("-inf")
        self._document: Document | None = None
        self._loop: IOLoop | None = None
        self._heartbeat: Callable[[], None] | None = None
        self.frames = 0

    def start(self, document: Document | None) -> None:
        """Start on the current event loop (call from the session's loop).

        Without a document (a session built outside a server, as in tests)
        nothing is scheduled: frames are drawn by calling the session.
        """
        if document is None:
            return
        self._document = document
        self._loop = IOLoop.current()
        self._running = True
        callback = document.add_periodic_callback(
            self.request, round(self._heartbeat_s * 1000)
        )
        self._heartbeat = lambda: document.remove_periodic_callback(callback)

    def stop(self) -> None:
        """Draw no more frames; idempotent."""
        self._running = False
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            # A destroyed session's document has dropped its callbacks already
            # (and Bokeh then raises one of these).
            with contextlib.suppress(ValueError, AttributeError):
                heartbeat()

    def request(self) -> None:
        """Ask for a frame as soon as the period allows; safe from any thread."""
        with self._lock:
            if self._requested or not self._running:
                return
            self._requested = True
        # Tornado's add_callback is the one call that is safe from other threads.
        self._loop.add_callback(self._schedule)

    def _schedule(self) -> None:
        if not self._running:
            return
        delay_s = self._last_frame + self._period_s - time.monotonic()
        if delay_s <= 0:
            self._document.add_next_tick_callback(self._frame)
        else:
            self._document.add_timeout_callback(self._frame, round(delay_s * 1000))

    def _frame(self) -> None:
        with self._lock:
            self._requested = False
        if not self._running:
            return
        self._last_frame = time.monotonic()
        self.frames += 1
        # Panel finds a session's models through its current document, which a
        # plain Bokeh callback does not set.
        with set_curdoc(self._document):
            self._draw()
