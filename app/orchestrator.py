"""The Orchestrator: moves messages from a source into the DataService in batches."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from .sources.message import Message, MessageSource

logger = logging.getLogger(__name__)

INVALID_KEY = "invalid key"
NOT_A_MESSAGE = "not a message"


class DataSink(Protocol):
    """The part of `DataService` the orchestrator writes to."""

    def transaction(self) -> AbstractContextManager[Any]: ...

    def __setitem__(self, key: str, value: Any) -> None: ...


@dataclass(frozen=True)
class OrchestratorStats:
    """Counters for the dashboard's status line.

    Parameters
    ----------
    applied:
        Messages written to the data service since the start.
    rejected:
        Messages that could not be applied, per reason.
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
    data_service:
        Where they go; subscribers are notified once per batch.
    max_messages_per_update:
        Cap on one batch, so a backlog cannot hold the data-service lock for long;
        the rest is applied by the next calls, in order.
    """

    def __init__(
        self,
        source: MessageSource,
        data_service: DataSink,
        *,
        max_messages_per_update: int = 10_000,
    ) -> None:
        if max_messages_per_update < 1:
            raise ValueError(
                "max_messages_per_update must be at least 1, "
                f"got {max_messages_per_update}"
            )
        self._source = source
        self._data_service = data_service
        self._max_messages = max_messages_per_update
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

    @property
    def stats(self) -> OrchestratorStats:
        """A snapshot of the counters."""
        with self._update_lock:
            return OrchestratorStats(
                applied=self._applied,
                rejected=MappingProxyType(dict(self._rejected)),
                batches=self._batches,
                last_batch_size=self._last_batch_size,
                last_batch_seconds=self._last_batch_seconds,
            )

    @property
    def pending(self) -> int:
        """Messages taken from the source and not yet applied."""
        return len(self._pending)

    def update(self) -> int:
        """Apply up to `max_messages_per_update` messages in one transaction.

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
            count = min(len(self._pending), self._max_messages)
            batch = [self._pending.popleft() for _ in range(count)]
            started = time.perf_counter()
            applied = 0
            with self._data_service.transaction():
                for message in batch:
                    if self._apply(message):
                        applied += 1
            self._applied += applied
            self._batches += 1
            self._last_batch_size = count
            self._last_batch_seconds = time.perf_counter() - started
            return applied

    def _apply(self, message: Message) -> bool:
        if not isinstance(message, Message):
            self._reject(NOT_A_MESSAGE, f"{type(message).__name__} in the batch")
            return False
        if not isinstance(message.key, str) or not message.key:
            self._reject(INVALID_KEY, f"key {message.key!r} is not a non-empty str")
            return False
        try:
            self._data_service[message.key] = message.value
        except Exception as error:  # one bad value must not cost the batch
            self._reject(
                type(error).__name__, f"key {message.key!r}: {error}", exc_info=True
            )
            return False
        return True

    def _reject(self, reason: str, detail: str, *, exc_info: bool = False) -> None:
        self._rejected[reason] += 1
        logger.warning("rejected message (%s): %s", reason, detail, exc_info=exc_info)

    def start(self, period_s: float) -> None:
        """Call `update` every `period_s` on a background thread; idempotent."""
        if period_s <= 0:
            raise ValueError(f"period_s must be positive, got {period_s}")
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop_requested.clear()
        self._thread = threading.Thread(
            target=self._run, args=(period_s,), name="orchestrator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for it; idempotent."""
        self._stop_requested.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    @property
    def running(self) -> bool:
        """Whether the background thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self, period_s: float) -> None:
        while not self._stop_requested.is_set():
            try:
                self.update()
            except Exception:  # the ingestion outlives a bad source or sink
                logger.exception("orchestrator update failed; retrying")
            self._stop_requested.wait(period_s)
