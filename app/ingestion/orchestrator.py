"""The Orchestrator: moves messages from a source into a sink in batches."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.data.sink import DataSink
from app.sources.message import Message, MessageSource, NotifyingSource
from app.sources.reasons import Reason
from app.sources.throttled_log import ThrottledLog

logger = logging.getLogger(__name__)

INVALID_KEY = Reason.INVALID_KEY
NOT_A_MESSAGE = Reason.NOT_A_MESSAGE
FAILED_TO_APPLY = Reason.FAILED_TO_APPLY
STAMPED_IN_THE_FUTURE = Reason.STAMPED_IN_THE_FUTURE

FUTURE_TOLERANCE_S = 60.0
"""How far a message's time may lie ahead of this host's clock (decision 017).
A time window ends at its newest frame's time, so one frame far ahead would
hold every view of its key on that frame until the present caught up with it;
clocks of producers and of this host disagree by far less than this."""
_FUTURE_TOLERANCE_NS = round(FUTURE_TOLERANCE_S * 1e9)

MAX_BATCH_SECONDS = 0.01
"""Longest a batch holds the DataService lock while applying (notifications
excluded): browser sessions on the event loop wait at most about this long."""
BACKLOG_PAUSE_S = 0.001
"""Pause between two batches of a backlog."""
MIN_WAKE_GAP_S = 0.01
"""Shortest time between the starts of two drains woken by arrivals: a source
that says so for every record costs at most 100 transactions a second
(decision 037)."""


@dataclass(frozen=True)
class OrchestratorStats:
    """Counters for the dashboard's status line.

    Parameters
    ----------
    applied:
        Messages written to the data service since the start.
    rejected:
        Messages that could not be applied, per `Reason`.
    batches:
        Non-empty batches applied (one transaction each).
    last_batch_size:
        Messages in the latest non-empty batch, rejected ones included.
    last_batch_seconds:
        Wall-clock duration of applying that batch (notifications included).
    """

    applied: int = 0
    rejected: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    batches: int = 0
    last_batch_size: int = 0
    last_batch_seconds: float = 0.0


class Orchestrator:
    """Drains a source and applies each batch in one data-service transaction.

    Parameters
    ----------
    source:
        Where the messages come from.
    sink:
        Where they go, one transaction per batch: the ingestion's `KeyActivity`
        in front of its DataService, whose subscribers are notified once per
        batch.
    max_messages_per_update:
        Cap on the messages of one batch.
    max_batch_seconds:
        Cap on the time one batch spends applying messages (at least one is
        applied). With the count cap it keeps a backlog from holding the
        data-service lock for long; the rest is applied by the next calls, in
        order.
    clock:
        Seconds for timing batches; replaceable in tests.
    wall_clock_ns:
        This host's time in ns since the epoch, against which a message's
        time is judged (`FUTURE_TOLERANCE_S`); replaceable in tests.
    tick:
        Called by the background thread after each update, messages or not:
        what must notice that nothing arrived (alarms of silent keys).
    """

    def __init__(
        self,
        source: MessageSource,
        sink: DataSink[str],
        *,
        max_messages_per_update: int = 10_000,
        max_batch_seconds: float = MAX_BATCH_SECONDS,
        clock: Callable[[], float] = time.perf_counter,
        wall_clock_ns: Callable[[], int] = time.time_ns,
        tick: Callable[[], None] | None = None,
    ) -> None:
        if max_messages_per_update < 1:
            raise ValueError(
                "max_messages_per_update must be at least 1, "
                f"got {max_messages_per_update}"
            )
        if max_batch_seconds <= 0:
            raise ValueError(
                f"max_batch_seconds must be positive, got {max_batch_seconds}"
            )
        self._source = source
        self._sink = sink
        self._max_messages = max_messages_per_update
        self._max_batch_seconds = max_batch_seconds
        self._clock = clock
        self._wall_clock_ns = wall_clock_ns
        self._tick = tick
        self._log = ThrottledLog(logger)
        # Only refilled when empty, so the source's own bound (e.g. Kafka's
        # drop-oldest queue) stays the bound on what waits here.
        self._pending: deque[Message] = deque()
        self._update_lock = threading.Lock()
        self._applied = 0
        self._rejected: Counter[str] = Counter()
        self._batches = 0
        self._last_batch_size = 0
        self._last_batch_seconds = 0.0
        self._thread: threading.Thread | None = None
        self._stop_requested = threading.Event()
        # Set when the source queues messages (or to stop): the thread drains
        # at once instead of at the end of its period (decision 037).
        self._wake = threading.Event()
        if isinstance(source, NotifyingSource):
            source.notify_arrivals(self.wake)
        self._wakes = 0
        # Replaced whole after each batch: readers on the event loop never wait
        # for a batch to finish.
        self._stats = OrchestratorStats()

    @property
    def stats(self) -> OrchestratorStats:
        """A snapshot of the counters as of the last batch; never blocks."""
        return self._stats

    @property
    def wakes(self) -> int:
        """Drains started early because the source said messages arrived."""
        return self._wakes

    def wake(self) -> None:
        """Drain the source now rather than at the end of the period."""
        self._wake.set()

    @property
    def pending(self) -> int:
        """Messages taken from the source and not yet applied."""
        return len(self._pending)

    def update(self) -> int:
        """Apply the next batch of pending messages in one transaction.

        A batch ends after `max_messages_per_update` messages or once applying
        has taken `max_batch_seconds`, whichever comes first.

        Returns
        -------
        :
            The number of messages applied (rejected ones not counted).
        """
        with self._update_lock:
            if not self._pending:
                self._pending.extend(self._source.get_messages())
            if not self._pending:
                return 0
            started = self._clock()
            deadline = started + self._max_batch_seconds
            pending = self._pending
            applied = count = 0
            # Read once a batch: a batch lasts milliseconds, the tolerance a minute.
            latest_ns = self._wall_clock_ns() + _FUTURE_TOLERANCE_NS
            with self._sink.transaction():
                while pending and count < self._max_messages:
                    count += 1
                    if self._apply(pending.popleft(), latest_ns):
                        applied += 1
                    if self._clock() >= deadline:
                        break
            self._applied += applied
            self._batches += 1
            self._last_batch_size = count
            self._last_batch_seconds = self._clock() - started
            self._stats = OrchestratorStats(
                applied=self._applied,
                rejected=MappingProxyType(dict(self._rejected)),
                batches=self._batches,
                last_batch_size=self._last_batch_size,
                last_batch_seconds=self._last_batch_seconds,
            )
            return applied

    def _apply(self, message: Message, latest_ns: int) -> bool:
        if not isinstance(message, Message):
            self._reject(NOT_A_MESSAGE, f"{type(message).__name__} in the batch")
            return False
        if not isinstance(message.key, str) or not message.key:
            self._reject(INVALID_KEY, f"key {message.key!r} is not a non-empty str")
            return False
        try:
            if message.timestamp > latest_ns:
                ahead_s = (message.timestamp - latest_ns) / 1e9 + FUTURE_TOLERANCE_S
                self._reject(
                    STAMPED_IN_THE_FUTURE,
                    f"key {message.key!r}: its time {message.timestamp} ns is "
                    f"{ahead_s:.0f} s ahead of this host's clock",
                )
                return False
            self._sink[message.key] = message.value
        except Exception as error:  # one bad value must not cost the batch
            self._reject(
                FAILED_TO_APPLY, f"key {message.key!r}: {error!r}", exc_info=True
            )
            return False
        return True

    def _reject(self, reason: Reason, detail: str, *, exc_info: bool = False) -> None:
        self._rejected[reason] += 1
        self._log.warning(
            reason, "rejected message (%s): %s", reason, detail, exc_info=exc_info
        )

    def start(self, period_s: float) -> None:
        """Call `update` on a background thread; idempotent.

        Every `period_s` at the latest, and at once when the source (a
        `app.sources.message.NotifyingSource`) says messages arrived.
        """
        if period_s <= 0:
            raise ValueError(f"period_s must be positive, got {period_s}")
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop_requested.clear()
        self._wake.clear()
        self._thread = threading.Thread(
            target=self._run, args=(period_s,), name="orchestrator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for it; idempotent."""
        self._stop_requested.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    @property
    def running(self) -> bool:
        """Whether the background thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self, period_s: float) -> None:
        while not self._stop_requested.is_set():
            started = time.monotonic()
            try:
                self.update()
            except Exception:  # the ingestion outlives a bad source or sink
                self._log.error(
                    "update failed",
                    "orchestrator update failed; retrying",
                    exc_info=True,
                )
            if self._tick is not None:
                try:
                    self._tick()
                except Exception:
                    self._log.error("tick failed", "tick failed", exc_info=True)
            # A backlog is applied batch after batch, with a pause short enough
            # not to slow the drain but long enough for a thread waiting on the
            # data service (a session on the event loop) to take its turn: locks
            # are not fair, and the next batch would otherwise win again.
            if self._pending:
                self._stop_requested.wait(BACKLOG_PAUSE_S)
            elif self._wake.wait(period_s):
                # Cleared before draining: what arrives during the drain
                # wakes the next one. A batch stays bounded (decision 007).
                self._wake.clear()
                self._wakes += 1
                gap = started + MIN_WAKE_GAP_S - time.monotonic()
                self._stop_requested.wait(max(0.0, gap))
