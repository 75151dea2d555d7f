"""FrameClock: when one browser session draws: at once when new data arrives, at
most once per frame period, never while the browser has not shown the previous
frame."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from bokeh.document import Document
from bokeh.models import CustomJS, Spacer
from panel.io.state import set_curdoc
from tornado.ioloop import IOLoop

from app.page.frame_pace import FramePace, frame_pace

logger = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
"""Longest time between two frames: ages in headers and the status line move."""

UNACKNOWLEDGED_RETRY_S = 10.0
"""A frame goes out anyway after this long without an acknowledgement, so a
browser that lost one (or never sends them) still gets a frame now and then."""

BEHIND_NOTICE_S = 60.0
"""A browser behind for this long is told so on its page."""

MIN_GAP_PERIODS = 0.5
"""Two frames are never closer than this many periods (decision 060)."""

KEEPS_UP_S = 10.0
SKIPS_TOLERATED = 2
"""A browser that skipped more frames than this within `KEEPS_UP_S` draws at
the slow period: one late acknowledgement now and then is not a slow browser."""


def frame_due(now_s: float, last_frame_s: float, period_s: float) -> float:
    """When the frame asked for at `now_s` may be drawn (decision 060).

    Time is cut into periods (slots of `period_s` on the monotonic clock); a
    slot holds at most one frame, and two frames are at least half a period
    apart. Data that arrives in a slot without a frame is drawn at once, so
    it never waits for a period counted from the last frame.

    Parameters
    ----------
    now_s:
        Monotonic seconds when the frame is asked for.
    last_frame_s:
        When the last frame was drawn (``-inf`` before the first).
    period_s:
        The session's frame period.
    """
    due = max(now_s, last_frame_s + MIN_GAP_PERIODS * period_s)
    if math.isfinite(last_frame_s) and _slot(due, period_s) <= _slot(
        last_frame_s, period_s
    ):
        due = (_slot(last_frame_s, period_s) + 1) * period_s
    return due


def _slot(time_s: float, period_s: float) -> int:
    # A slot's start, computed as (slot * period), must fall in that slot.
    return math.floor(time_s / period_s + 1e-9)


# Runs in the browser when a frame's number arrives, after the frame's other
# changes (it is the last change of the frame's message). The acknowledgement
# waits until the page painted (the first task after the next animation frame),
# or a second at most (hidden tabs paint never); see decision 009.
ACKNOWLEDGE_JS = """
const frame = cb_obj.tags[0];
let sent = false;
const send = () => { if (!sent) { sent = true; ack.tags = [frame]; } };
requestAnimationFrame(() => setTimeout(send, 0));
setTimeout(send, 1000);
"""


@dataclass(frozen=True)
class FrameStats:
    """What a session's frames did, for its status line.

    Parameters
    ----------
    sent:
        Frames drawn and sent to the browser.
    acknowledged:
        The newest frame the browser said it showed.
    skipped:
        Frame slots that passed without their frame because the browser had
        not shown the previous one.
    behind_s:
        How long the browser has been skipping frames without catching up
        (0 if it keeps up).
    """

    sent: int
    acknowledged: int
    skipped: int
    behind_s: float


class FrameClock:
    """Schedules a session's frames on the session's own event loop.

    `request` may be called from any thread (the ingestion thread calls it when
    a plot received data); the frame itself runs as a callback of the session's
    Bokeh document, the only place that may touch it. A period holds at most
    one frame (`frame_due`), so each carries one batch of everything that
    changed, and new data in a period without a frame is drawn at once.

    Frames are conflated, never queued: the browser acknowledges each frame once
    it has painted it (`view` carries the frame number there and the answer
    back), and a frame is only drawn when the previous one was acknowledged.
    A browser that cannot keep up gets fewer frames, each with the newest data,
    instead of a queue that grows in the server's memory and in its lag.

    Parameters
    ----------
    draw:
        Draws one frame.
    period_s:
        Frame period: at most one frame per period.
    heartbeat_s:
        A frame is requested at least this often.
    fast_period_s:
        The shorter period used while the process has room (`pace`) and this
        browser keeps up (decision 038); the same as `period_s` by default.
    pace:
        The process's measure of its room; `frame_pace()` by default.
    clock:
        Monotonic seconds; replaceable in tests.
    """

    running: ClassVar[int] = 0
    """Clocks of this process started and not stopped (one per live session)."""

    def __init__(
        self,
        draw: Callable[[], None],
        period_s: float,
        heartbeat_s: float = HEARTBEAT_S,
        *,
        fast_period_s: float | None = None,
        pace: FramePace | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._draw = draw
        self._period_s = period_s
        self._fast_period_s = min(fast_period_s or period_s, period_s)
        self._pace = pace if pace is not None else frame_pace()
        self._heartbeat_s = max(heartbeat_s, period_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._requested = False
        self._running = False
        self._last_frame = float("-inf")
        self._document: Document | None = None
        self._loop: IOLoop | None = None
        self._heartbeat: Callable[[], None] | None = None
        self._sent = 0
        self._acknowledged = 0
        self._skipped = 0
        # When the oldest unacknowledged frame went out.
        self._waiting_since: float | None = None
        # Since when every frame period skipped a frame; None while keeping up.
        self._behind_since: float | None = None
        # Since when a frame that was due waits for the browser; None if none.
        self._held_since: float | None = None
        self._slot_s = period_s  # the period the waiting frame was due in
        self._wanted_while_waiting = False
        self._skipped_since_sent = False
        # While the browser builds plots the page gained (decision 100): the
        # number of the first frame sent after the growth, 0 until sent.
        self._building: int | None = None
        self._last_skip = float("-inf")
        self._skips: deque[float] = deque(maxlen=SKIPS_TOLERATED + 1)
        self._ack = Spacer(width=0, height=0, visible=False, name="frame-ack")
        self._number = Spacer(
            width=0, height=0, visible=False, name="frame-number", tags=[0]
        )
        self._number.js_on_change(
            "tags", CustomJS(args={"ack": self._ack}, code=ACKNOWLEDGE_JS)
        )
        self._ack.on_change("tags", self._on_acknowledged)
        # Both models enter the document through this one (hidden) root.
        self.view = Spacer(
            width=0, height=0, visible=False, tags=[self._number, self._ack]
        )

    @property
    def stats(self) -> FrameStats:
        """Frames sent, acknowledged and skipped, and how long the browser is behind."""
        behind_since = self._behind_since
        behind_s = 0.0 if behind_since is None else self._clock() - behind_since
        return FrameStats(
            sent=self._sent,
            acknowledged=self._acknowledged,
            skipped=self._skipped,
            behind_s=behind_s,
        )

    @property
    def browser_building(self) -> bool:
        """Whether the browser still builds plots the page gained: it has not
        acknowledged a frame sent after the latest growth (decision 100)."""
        return self._building is not None

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
        FrameClock.running += 1
        callback = document.add_periodic_callback(
            self._on_heartbeat, round(self._heartbeat_s * 1000)
        )
        self._heartbeat = lambda: document.remove_periodic_callback(callback)

    def stop(self) -> None:
        """Draw no more frames; idempotent."""
        if self._running:
            FrameClock.running -= 1
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

    def _on_heartbeat(self) -> None:
        # Only when no frame went out for a while: a heartbeat frame would make
        # the next data wait for its period (the latency from data to the browser).
        if self._clock() - self._last_frame >= self._heartbeat_s - self._period_s:
            self.request()

    def grew(self) -> None:
        """Say the page gained plots. The browser builds them before it shows
        the next frame: its waits meanwhile are not skips, until it shows a
        frame sent after the growth (decision 100)."""
        self._building = 0

    def stamp(self) -> None:
        """Number the frame being drawn; call last in a frame, inside its batch."""
        self._sent += 1
        self._number.tags = [self._sent]
        if self._building == 0:
            self._building = self._sent
        if self._waiting_since is None:
            self._waiting_since = self._clock()

    def period(self) -> float:
        """The period of the next frame: the fast one while the process has
        room and this browser skipped at most `SKIPS_TOLERATED` frames within
        the last `KEEPS_UP_S`."""
        if self._fast_period_s == self._period_s:
            return self._period_s
        keeps_up = (
            self._behind_since is None and len(self._recent_skips()) <= SKIPS_TOLERATED
        )
        if keeps_up and self._pace.fast():
            return self._fast_period_s
        return self._period_s

    def _recent_skips(self) -> list[float]:
        since = self._clock() - KEEPS_UP_S
        return [at for at in self._skips if at >= since]

    def _schedule(self) -> None:
        if not self._running:
            return
        now = self._clock()
        self._slot_s = self.period()
        delay_s = frame_due(now, self._last_frame, self._slot_s) - now
        if delay_s <= 0:
            self._document.add_next_tick_callback(self._frame)
        else:
            # Rounded up: a frame run early would fall in the previous slot.
            self._document.add_timeout_callback(self._frame, math.ceil(delay_s * 1000))

    def _frame(self) -> None:
        with self._lock:
            self._requested = False
        if not self._running:
            return
        now = self._clock()
        if self._acknowledged < self._sent:
            waiting_s = now - (self._waiting_since or now)
            if waiting_s < UNACKNOWLEDGED_RETRY_S:
                # The acknowledgement asks for the next frame.
                self._wanted_while_waiting = True
                if self._held_since is None:
                    self._held_since = now
                # Skipped once a whole slot passed without its frame: an
                # acknowledgement late within the slot only delays the slot's
                # frame (decision 100). Counted once per period: data may ask
                # for frames more often than that.
                held_s = now - self._held_since
                building = self._building is not None  # new plots: not slow
                slot_passed = held_s >= self._slot_s
                if (
                    not building
                    and slot_passed
                    and now - self._last_skip >= self._period_s
                ):
                    self._last_skip = now
                    self._skips.append(now)
                    self._skipped += 1
                    self._skipped_since_sent = True
                    if self._behind_since is None:
                        self._behind_since = self._held_since
                return
            logger.debug(
                "no acknowledgement of frame %d for %.0f s; sending one anyway",
                self._sent,
                waiting_s,
            )
            self._waiting_since = None
            self._held_since = None
        self._last_frame = now
        # Panel finds a session's models through its current document, which a
        # plain Bokeh callback does not set.
        with set_curdoc(self._document):
            self._draw()
        self._pace.drew(self._clock() - now)

    def _on_acknowledged(self, attr: str, old: list, new: list) -> None:
        if not new or not isinstance(new[0], int):
            return
        self._acknowledged = max(self._acknowledged, min(new[0], self._sent))
        if self._building and self._acknowledged >= self._building:
            self._building = None  # the plots are built: waits count again
        if self._acknowledged < self._sent:
            return
        self._waiting_since = None
        self._held_since = None
        if not self._skipped_since_sent:
            self._behind_since = None
        self._skipped_since_sent = False
        if self._wanted_while_waiting:
            # Data waited for this browser: it gets the newest at once.
            self._wanted_while_waiting = False
            self.request()
