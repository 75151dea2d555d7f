"""KafkaSource: consumes da00/f144 results from Kafka on a background thread."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import confluent_kafka
from confluent_kafka import KafkaError

from .codec import DecodeError, Decoder
from .message import Message, SourceStatus

logger = logging.getLogger(__name__)

CONSUME_BATCH = 500
"""Most records taken from librdkafka per call."""
CONSUME_TIMEOUT_S = 0.1
"""Longest wait for a record; also how fast `close` stops the thread."""
_UNREACHABLE = frozenset({KafkaError._ALL_BROKERS_DOWN, KafkaError._RESOLVE})


@dataclass(frozen=True)
class KafkaSourceStats:
    """Counters of a `KafkaSource`.

    Parameters
    ----------
    consumed:
        Records received from Kafka, decodable or not.
    queued:
        Decoded messages waiting for `get_messages`.
    dropped:
        Decoded messages dropped, oldest first, because the queue was full.
    skipped:
        Records not turned into messages, per reason (``"unknown schema 'ev44'"``,
        ``"malformed da00"``).
    errors:
        Errors the consumer reported instead of records, per name
        (``"UNKNOWN_TOPIC_OR_PART"`` while a topic does not exist yet).
    decode_seconds:
        CPU time of the consumer thread spent decoding, summed over all records
        (CPU, not wall-clock, so that waiting for the GIL is not counted).
    """

    consumed: int = 0
    queued: int = 0
    dropped: int = 0
    skipped: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    errors: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    decode_seconds: float = 0.0


class KafkaSource:
    """Messages from Kafka topics carrying da00 and f144 payloads.

    A consumer thread decodes records into a bounded queue; `get_messages`
    drains it. Every dashboard process reads every partition in its own
    consumer group and starts at the newest records: it shows the present.

    Parameters
    ----------
    bootstrap_servers:
        ``HOST:PORT[,HOST:PORT...]`` of the brokers.
    topics:
        Topics to read.
    group_id:
        Consumer group; by default a new one per source, so dashboards do not
        split the partitions between them.
    max_queued:
        Decoded messages kept while nobody drains; beyond it the oldest go.
    config:
        librdkafka settings that override the defaults (e.g.
        ``{"auto.offset.reset": "earliest"}``).
    log_units:
        Units of f144 sources by source name (f144 carries none).
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        *,
        group_id: str | None = None,
        max_queued: int = 10_000,
        config: Mapping[str, Any] | None = None,
        log_units: Mapping[str, str] | None = None,
    ) -> None:
        if max_queued < 1:
            raise ValueError(f"max_queued must be at least 1, got {max_queued}")
        if isinstance(topics, str) or not topics:
            raise ValueError(
                f"topics must be a non-empty list of names, got {topics!r}"
            )
        self._bootstrap_servers = bootstrap_servers
        self._topics = list(topics)
        self._decoder = Decoder(log_units)
        self._queue: deque[Message] = deque()
        self._max_queued = max_queued
        self._lock = threading.Lock()
        self._consumed = 0
        self._dropped = 0
        self._skipped: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._decode_seconds = 0.0
        self._connected = False
        self._state = "connecting"
        self._closed = threading.Event()
        settings: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id or f"livedata-dashboard-{uuid.uuid4().hex[:12]}",
            # No offsets to keep: a dashboard restarts at the present.
            "enable.auto.commit": False,
            "auto.offset.reset": "latest",
            "statistics.interval.ms": 1000,
            "error_cb": self._on_error,
            "stats_cb": self._on_stats,
            "logger": logging.getLogger(f"{__name__}.librdkafka"),
        }
        settings.update(config or {})
        self._consumer = confluent_kafka.Consumer(settings)
        self._consumer.subscribe(self._topics)
        self._thread = threading.Thread(
            target=self._run, name="kafka-consumer", daemon=True
        )
        self._thread.start()

    @property
    def status(self) -> SourceStatus:
        """Whether a broker is reachable, and what was lost, for the status line."""
        with self._lock:
            description = f"kafka {self._bootstrap_servers}: {self._state}"
            skipped = sum(self._skipped.values())
            if skipped:
                description += f", {skipped} undecodable skipped"
            if self._dropped:
                description += f", {self._dropped} dropped behind"
            return SourceStatus(connected=self._connected, description=description)

    @property
    def stats(self) -> KafkaSourceStats:
        """A snapshot of the counters."""
        with self._lock:
            return KafkaSourceStats(
                consumed=self._consumed,
                queued=len(self._queue),
                dropped=self._dropped,
                skipped=MappingProxyType(dict(self._skipped)),
                errors=MappingProxyType(dict(self._errors)),
                decode_seconds=self._decode_seconds,
            )

    def get_messages(self) -> list[Message]:
        """The decoded messages that have arrived, oldest first; never blocks."""
        with self._lock:
            messages = list(self._queue)
            self._queue.clear()
        return messages

    def close(self) -> None:
        """Stop the consumer thread and leave the group; idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._thread.join()
        with self._lock:
            self._connected = False
            self._state = "closed"

    def _run(self) -> None:
        try:
            while not self._closed.is_set():
                try:
                    self._consume_once()
                except Exception:  # the consumer thread must outlive any record
                    logger.exception("kafka consumer: unexpected error; continuing")
                    self._closed.wait(CONSUME_TIMEOUT_S)
        finally:
            self._consumer.close()

    def _consume_once(self) -> None:
        # consume(n, timeout) waits for n records or the timeout, whichever
        # comes first: take what is there at once, else wait for the next one.
        records = self._consumer.consume(CONSUME_BATCH, 0)
        if not records:
            records = self._consumer.consume(1, CONSUME_TIMEOUT_S)
        if not records:
            return
        decoded: list[Message] = []
        skipped: list[str] = []
        errors: list[str] = []
        started = time.thread_time()
        for record in records:
            error = record.error()
            if error is not None:
                errors.append(error.name())
                continue
            try:
                decoded.append(self._decoder.decode(record.value() or b""))
            except DecodeError as failure:
                skipped.append(failure.reason)
                logger.debug(
                    "skipped record from %s [%d] @%d: %s",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    failure,
                )
        decode_seconds = time.thread_time() - started
        with self._lock:
            self._consumed += len(records) - len(errors)
            self._decode_seconds += decode_seconds
            self._skipped.update(skipped)
            new_errors = set(errors) - set(self._errors)
            self._errors.update(errors)
            self._enqueue(decoded)
            if len(records) > len(errors):
                # A record came from a broker: it is reachable.
                self._set_connected(True, "connected")
        for reason, count in Counter(skipped).items():
            logger.warning("skipped %d record(s): %s", count, reason)
        for name in new_errors:
            logger.warning("kafka consumer reports %s (logged once)", name)

    def _enqueue(self, decoded: list[Message]) -> None:
        overflow = len(self._queue) + len(decoded) - self._max_queued
        if overflow > 0:
            # The present matters, not a growing lag: drop the oldest.
            self._dropped += overflow
            for _ in range(min(overflow, len(self._queue))):
                self._queue.popleft()
            decoded = decoded[max(0, len(decoded) - self._max_queued) :]
        self._queue.extend(decoded)

    def _set_connected(self, connected: bool, state: str) -> None:
        if connected != self._connected:
            log = logger.info if connected else logger.warning
            log("kafka %s: %s", self._bootstrap_servers, state)
        self._connected = connected
        self._state = state

    def _on_error(self, error: KafkaError) -> None:
        if error.code() in _UNREACHABLE:
            with self._lock:
                self._set_connected(False, "broker unreachable")
        else:
            logger.debug("kafka client error: %s", error.str())

    def _on_stats(self, stats_json: str) -> None:
        brokers = json.loads(stats_json).get("brokers", {})
        reachable = any(broker.get("state") == "UP" for broker in brokers.values())
        with self._lock:
            if reachable:
                self._set_connected(True, "connected")
            elif self._connected or self._state == "connecting":
                self._set_connected(False, "broker unreachable")
