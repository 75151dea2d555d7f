"""Kafka's look-back of the partitions a restart restores, up to where its
recording begins: what the recording lacks (decision 047)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import confluent_kafka
from confluent_kafka import TopicPartition

from app.sources.codec import Decoder
from app.sources.kafka import CONSUME_BATCH, CONSUME_TIMEOUT_S, OFFSETS_TIMEOUT_S
from app.sources.lookback import LookBack
from app.sources.message import Message

logger = logging.getLogger(__name__)

FILL_TIMEOUT_S = 10.0
"""Longest a restart waits for Kafka's older records before it restores."""


class KafkaFill:
    """The records of some partitions from their look-back up to given
    offsets, read once by a consumer of their own; then done.

    Parameters
    ----------
    bootstrap_servers:
        ``HOST:PORT[,HOST:PORT...]`` of the brokers.
    ends:
        Per (topic, partition), the first offset not read here: the first
        record a recording restores.
    lookback:
        How far back: no older than its seconds (Kafka timestamp), at most
        its records per partition before the end.
    decoder:
        Turns payloads into messages, as for the live source.
    config:
        librdkafka settings (security, ...), as for the live source.
    timeout_s:
        Partitions not read to their end by then are left as they are.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        ends: Mapping[tuple[str, int], int],
        *,
        lookback: LookBack,
        decoder: Decoder,
        config: Mapping[str, Any] | None = None,
        timeout_s: float = FILL_TIMEOUT_S,
    ) -> None:
        self._ends = dict(ends)
        self._lookback = lookback
        self._decoder = decoder
        self._timeout_s = timeout_s
        self._settings: dict[str, Any] = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"livedata-dashboard-fill-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            **(config or {}),
        }
        self._lock = threading.Lock()
        self._queue: list[Message] = []
        self._read = 0
        self._skipped = 0
        self._done = threading.Event()
        self._closed = threading.Event()
        self._arrived: Callable[[], None] | None = None
        self._thread = threading.Thread(
            target=self._run, name="kafka-fill", daemon=True
        )
        self._thread.start()

    @property
    def done(self) -> bool:
        """Whether every partition was read to its end (or given up on)."""
        return self._done.is_set()

    @property
    def read(self) -> int:
        """Messages read so far."""
        with self._lock:
            return self._read

    def notify_arrivals(self, callback: Callable[[], None]) -> None:
        self._arrived = callback

    def get_messages(self) -> list[Message]:
        with self._lock:
            messages, self._queue = self._queue, []
        return messages

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            consumer = confluent_kafka.Consumer(self._settings)
        except Exception:
            logger.warning(
                "kafka look-back before the recording: no consumer", exc_info=True
            )
            self._done.set()
            return
        try:
            self._read_until_the_ends(consumer)
        except Exception:  # the restore must go on without what is missing
            logger.warning("kafka look-back before the recording failed", exc_info=True)
        finally:
            consumer.close()
            self._done.set()
            if self._arrived is not None:
                self._arrived()

    def _read_until_the_ends(self, consumer: confluent_kafka.Consumer) -> None:
        deadline = time.monotonic() + self._timeout_s
        cutoff_ms = self._lookback.cutoff_ms(round(time.time() * 1000))
        pending = self._assign(consumer, cutoff_ms, deadline)
        while pending and not self._closed.is_set():
            if time.monotonic() > deadline:
                logger.warning(
                    "kafka look-back before the recording: %s not read to the "
                    "recording's start within %.0f s",
                    ", ".join(f"{t} [{p}]" for t, p in sorted(pending)),
                    self._timeout_s,
                )
                return
            messages: list[Message] = []
            for record in consumer.consume(CONSUME_BATCH, CONSUME_TIMEOUT_S):
                where = (record.topic(), record.partition())
                end = pending.get(where)
                if record.error() is not None or end is None:
                    continue
                offset = record.offset()
                if offset + 1 >= end:
                    del pending[where]
                    consumer.pause([TopicPartition(*where)])
                if offset >= end:
                    continue  # the recording holds it
                kind, timestamp_ms = record.timestamp()
                if kind != confluent_kafka.TIMESTAMP_NOT_AVAILABLE and (
                    timestamp_ms < cutoff_ms
                ):
                    continue  # before the look-back's time bound
                try:
                    messages.append(self._decoder.decode(record.value() or b""))
                except Exception:  # one bad record costs one record
                    self._skipped += 1
            if messages:
                with self._lock:
                    self._queue.extend(messages)
                    self._read += len(messages)
                if self._arrived is not None:
                    self._arrived()
        logger.info(
            "kafka look-back before the recording: %d records read, %d not decoded",
            self._read,
            self._skipped,
        )

    def _assign(
        self, consumer: confluent_kafka.Consumer, cutoff_ms: int, deadline: float
    ) -> dict[tuple[str, int], int]:
        """Start each partition at its look-back before its end; return the
        ends of those with anything to read. A broker that does not answer
        by `deadline` raises (librdkafka's timeout)."""

        def left() -> float:
            return min(OFFSETS_TIMEOUT_S, max(0.1, deadline - time.monotonic()))

        wanted = sorted(self._ends)
        recent = consumer.offsets_for_times(
            [TopicPartition(t, p, cutoff_ms) for t, p in wanted], left()
        )
        assigned: list[TopicPartition] = []
        pending: dict[tuple[str, int], int] = {}
        for (topic, partition), first_recent in zip(wanted, recent, strict=True):
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), left(), cached=False
            )
            end = min(self._ends[(topic, partition)], high)
            # -1: the broker cannot say; the time bound is applied per record.
            known = first_recent.offset if first_recent.offset >= 0 else None
            # The look-back's records are counted back from the recording's start.
            start = self._lookback.start_offset(low, end, known)
            if start < end:
                assigned.append(TopicPartition(topic, partition, start))
                pending[(topic, partition)] = end
        consumer.assign(assigned)
        return pending
