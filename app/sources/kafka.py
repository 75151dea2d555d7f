"""KafkaSource: consumes da00/f144 results from Kafka on a background thread."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import confluent_kafka
from confluent_kafka import KafkaError, TopicPartition

from app.sources.codec import F144, DecodeError, Decoder, UnknownSchemaError
from app.sources.kafka_errors import ClassifiedError, ErrorKind, classify
from app.sources.kafka_health import KafkaHealth
from app.sources.kafka_settings import KafkaSettingsError, masked, scrub
from app.sources.librdkafka_log import ThrottledLibrdkafkaLog
from app.sources.lookback import DEFAULT_LOOKBACK_RECORDS, DEFAULT_LOOKBACK_S, LookBack
from app.sources.message import Message, SourceStatus
from app.sources.other_schemas import DEFAULT_IGNORED_SCHEMAS
from app.sources.reasons import DROPPED_BEHIND, OFFSET_RESET, Reason
from app.sources.throttled_log import ThrottledLog
from app.sources.wire import NO_TIMESTAMP, RecordTap, WireRecord

logger = logging.getLogger(__name__)

CONSUME_BATCH = 500
"""Most records taken from librdkafka per call."""
CONSUME_TIMEOUT_S = 0.1
"""Longest wait for a record; also how fast `close` stops the thread."""
ERROR_BACKOFF_S = 1.0
"""Pause of the consumer thread after an unexpected error, so it cannot spin."""
OFFSETS_TIMEOUT_S = 5.0
"""Longest wait for the broker's watermarks when a partition is assigned."""
DEFAULT_MAX_QUEUED = 10_000
"""Decoded messages kept while nobody drains."""
DEFAULT_MAX_QUEUED_BYTES = 256 * 1024**2
"""Payload bytes of the decoded messages kept while nobody drains (256 MiB)."""
ON_CHANGE_SCHEMA = F144.encode()
"""Logs of this schema are published when their value changes (decision 076)."""
METADATA_REFRESH_MS = 10_000
"""How often librdkafka re-reads topic metadata: how soon a new topic is read."""
FETCH_WAIT_MAX_MS = 20
"""Longest a broker holds a fetch while it has nothing new (decision 037).

A broker answers as soon as ``fetch.min.bytes`` (1) have arrived, but some
(librdkafka's mock cluster among them) answer a caught-up fetch only after
this wait: it bounds the delay a record can wait in the broker. librdkafka's
500 ms default is for throughput, not for a live display."""


class PayloadDecoder(Protocol):
    """Turns one record's payload into a message (`app.sources.codec.Decoder`)."""

    def decode(self, payload: bytes) -> Message:
        """The message in `payload`; raises `DecodeError` (or anything) if none."""
        ...


@dataclass(frozen=True)
class KafkaSourceStats:
    """Counters of a `KafkaSource`.

    Parameters
    ----------
    consumed:
        Records received from Kafka, decodable or not.
    replayed:
        Of those, records written before the source started (the look-back).
    queued:
        Decoded messages waiting for `get_messages`.
    queued_bytes:
        Their payload bytes.
    dropped:
        Decoded messages dropped, oldest first, because the queue was full.
    passed_over:
        Records never read because the consumer's offset was reset past them:
        the gaps between a partition's last record and the next one read
        (decision 034).
    skipped:
        Records not turned into messages, per reason (`app.sources.reasons.Reason`
        or the decoder's `DecodeError.reason`).
    ignored:
        Records of schemas the dashboard knowingly does not read, per schema
        id (`ignore_schemas`); not lost (decision 035).
    errors:
        Errors the consumer reported instead of records, per name
        (``"UNKNOWN_TOPIC_OR_PART"`` while a topic does not exist yet).
    decode_seconds:
        CPU time of the consumer thread spent decoding, summed over all records
        (CPU, not wall-clock, so that waiting for the GIL is not counted).
    """

    consumed: int = 0
    replayed: int = 0
    queued: int = 0
    queued_bytes: int = 0
    dropped: int = 0
    passed_over: int = 0
    skipped: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    ignored: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    errors: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    decode_seconds: float = 0.0


@dataclass
class _Replay:
    """The look-back of one partition: records before `end` older than `cutoff_ms`
    are not shown."""

    end: int
    cutoff_ms: int


def _check_arguments(
    topics: Sequence[str], max_queued: int, max_queued_bytes: int
) -> None:
    """Refuse bounds below one and a topic list that is empty or a single string."""
    if max_queued < 1:
        raise ValueError(f"max_queued must be at least 1, got {max_queued}")
    if max_queued_bytes < 1:
        raise ValueError(f"max_queued_bytes must be at least 1, got {max_queued_bytes}")
    if isinstance(topics, str) or not topics:
        raise ValueError(f"topics must be a non-empty list of names, got {topics!r}")


def _assigns_incrementally(settings: Mapping[str, Any]) -> bool:
    """Whether librdkafka hands ``on_assign`` only the added partitions
    (cooperative rebalancing, or the consumer group protocol)."""
    return "cooperative" in str(settings.get("partition.assignment.strategy", "")) or (
        str(settings.get("group.protocol", "classic")) == "consumer"
    )


def _consumer(settings: Mapping[str, Any]) -> confluent_kafka.Consumer:
    """A consumer with `settings`; `KafkaSettingsError` if librdkafka refuses them."""
    try:
        return confluent_kafka.Consumer(settings)
    except confluent_kafka.KafkaException as error:
        # librdkafka names the property; its message may quote a value.
        reason = error.args[0].str() if error.args else str(error)
        raise KafkaSettingsError(
            f"kafka client settings refused: {scrub(reason, settings)}"
        ) from None


def _wire_record(
    record: confluent_kafka.Message, payload: bytes, arrived_ns: int
) -> WireRecord:
    kind, timestamp_ms = record.timestamp()
    return WireRecord(
        topic=record.topic(),
        partition=record.partition(),
        offset=record.offset(),
        timestamp_ms=(
            NO_TIMESTAMP
            if kind == confluent_kafka.TIMESTAMP_NOT_AVAILABLE
            else timestamp_ms
        ),
        key=record.key(),
        value=payload,
        arrived_ns=arrived_ns,
    )


class KafkaSource:
    """Messages from Kafka topics carrying da00 and f144 payloads.

    A consumer thread decodes records into a bounded queue; `get_messages`
    drains it. Every dashboard process reads every partition in its own
    consumer group, starting a bounded look-back before the newest record, so
    every source that wrote recently shows its last value at once
    (`docs/decisions/030-look-back-on-start.md`).

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
    max_queued_bytes:
        Payload bytes of the decoded messages kept while nobody drains; beyond
        it the oldest go, but the newest message is always kept
        (`docs/decisions/031-queue-bounded-by-bytes.md`).
    lookback_s:
        Seconds of history read at start (by Kafka timestamp); 0 = live only.
    lookback_records:
        Most records read at start per partition.
    config:
        librdkafka settings that override the defaults.
    log_units:
        Units of f144 sources by source name (f144 carries none).
    decoder:
        Turns payloads into messages; by default a `Decoder` with `log_units`.
    ignore_schemas:
        Schema ids whose records the decoder does not read and which are
        expected on these topics: counted as ignored, not as lost.
    tap:
        Receives, on the consumer thread, the records that decoded, as they
        arrived (bytes, topic, key, partition, offset, timestamp): what a
        recording keeps.
    resume_offsets:
        Per (topic, partition), the offset to start at instead of the
        look-back: the record after the last one restored from a recording
        (decision 028), as after a rebalance.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        *,
        group_id: str | None = None,
        max_queued: int = DEFAULT_MAX_QUEUED,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        lookback_s: float = DEFAULT_LOOKBACK_S,
        lookback_records: int = DEFAULT_LOOKBACK_RECORDS,
        config: Mapping[str, Any] | None = None,
        log_units: Mapping[str, str] | None = None,
        decoder: PayloadDecoder | None = None,
        ignore_schemas: Iterable[str] = DEFAULT_IGNORED_SCHEMAS,
        tap: RecordTap | None = None,
        resume_offsets: Mapping[tuple[str, int], int] | None = None,
    ) -> None:
        _check_arguments(topics, max_queued, max_queued_bytes)
        self._tap = tap
        self._bootstrap_servers = bootstrap_servers
        self._topics = list(topics)
        self._decoder: PayloadDecoder = (
            decoder if decoder is not None else Decoder(log_units)
        )
        self._ignore_schemas = frozenset(ignore_schemas)
        self._lock = threading.Lock()
        self._init_queue(max_queued, max_queued_bytes)
        self._init_counters()
        self._init_health()
        self._init_assignment(LookBack(seconds=lookback_s, records=lookback_records))
        self._next_offsets.update(resume_offsets or {})
        self._log = ThrottledLog(logger)
        self._closed = threading.Event()
        self._arrived: Callable[[], None] | None = None
        self._subscribe(self._client_settings(group_id, config))
        self._thread = threading.Thread(
            target=self._run, name="kafka-consumer", daemon=True
        )
        self._thread.start()

    # Construction, in the order __init__ takes the steps ----------------------
    def _init_queue(self, max_queued: int, max_queued_bytes: int) -> None:
        """The bounded queue of decoded messages and their payload bytes."""
        self._queue: deque[tuple[Message, int]] = deque()
        self._queued_bytes = 0
        self._max_queued = max_queued
        self._max_queued_bytes = max_queued_bytes

    def _init_counters(self) -> None:
        """The counters `stats` and `status` report, all at zero."""
        self._consumed = 0
        self._replayed = 0
        self._dropped = 0
        self._passed_over = 0
        self._skipped: Counter[str] = Counter()
        self._ignored: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        # Replaced whole when it grows, so `status` hands it out without a copy.
        self._on_change: frozenset[str] = frozenset()
        self._decode_seconds = 0.0

    def _init_health(self) -> None:
        """What the status says of the connection, and what was last logged of it."""
        self._health = KafkaHealth()
        self._said = self._health.state()[1]

    def _init_assignment(self, lookback: LookBack) -> None:
        """Where each partition resumes, and the look-back of those not read yet."""
        self._lookback = lookback
        # Consumer thread only (callbacks run inside `consume`).
        self._next_offsets: dict[tuple[str, int], int] = {}
        self._replays: dict[tuple[str, int], _Replay] = {}

    def _client_settings(
        self, group_id: str | None, config: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """librdkafka's settings: a live display's defaults, then `config`."""
        settings: dict[str, Any] = {
            "bootstrap.servers": self._bootstrap_servers,
            "group.id": group_id or f"livedata-dashboard-{uuid.uuid4().hex[:12]}",
            # No offsets to keep: a dashboard starts at its look-back.
            "enable.auto.commit": False,
            # Only when a start offset has gone (retention): read the present.
            "auto.offset.reset": "latest",
            "statistics.interval.ms": 1000,
            "topic.metadata.refresh.interval.ms": METADATA_REFRESH_MS,
            # A live display: a record is handed over as soon as it is there.
            "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
            "fetch.min.bytes": 1,
            "error_cb": self._on_error,
            "stats_cb": self._on_stats,
            "logger": ThrottledLibrdkafkaLog(
                logging.getLogger(f"{__name__}.librdkafka")
            ),
        }
        if config:
            logger.info("kafka client settings: %s", masked(config))
        settings.update(config or {})
        return settings

    def _subscribe(self, settings: Mapping[str, Any]) -> None:
        """Make the consumer and subscribe it to the topics; nothing is read
        until the consumer thread consumes."""
        self._incremental = _assigns_incrementally(settings)
        self._consumer = _consumer(settings)
        self._consumer.subscribe(self._topics, on_assign=self._on_assign)

    @property
    def status(self) -> SourceStatus:
        """Whether data can arrive, and what was lost, for the status line."""
        with self._lock:
            connected, state = self._health.state()
            description = f"kafka {self._bootstrap_servers}: {state}"
            skipped = sum(self._skipped.values())
            if skipped:
                description += f", {skipped} undecodable skipped"
            ignored = sum(self._ignored.values())
            if ignored:
                schemas = ", ".join(sorted(self._ignored))
                description += f", {ignored} of other schemas ignored ({schemas})"
            lost = Counter(self._skipped)
            if self._dropped:
                description += f", {self._dropped} {DROPPED_BEHIND}"
                lost[DROPPED_BEHIND] = self._dropped
            if self._passed_over:
                description += f", {self._passed_over} {OFFSET_RESET}"
                lost[OFFSET_RESET] = self._passed_over
            return SourceStatus(
                connected=connected,
                description=description,
                lost=MappingProxyType(dict(lost)),
                impaired=self._health.impairment(),
                on_change_keys=self._on_change,
            )

    @property
    def stats(self) -> KafkaSourceStats:
        """A snapshot of the counters."""
        with self._lock:
            return KafkaSourceStats(
                consumed=self._consumed,
                replayed=self._replayed,
                queued=len(self._queue),
                queued_bytes=self._queued_bytes,
                dropped=self._dropped,
                passed_over=self._passed_over,
                skipped=MappingProxyType(dict(self._skipped)),
                ignored=MappingProxyType(dict(self._ignored)),
                errors=MappingProxyType(dict(self._errors)),
                decode_seconds=self._decode_seconds,
            )

    def get_messages(self) -> list[Message]:
        """The decoded messages that have arrived, oldest first; never blocks."""
        with self._lock:
            messages = [message for message, _ in self._queue]
            self._queue.clear()
            self._queued_bytes = 0
        return messages

    def notify_arrivals(self, callback: Callable[[], None]) -> None:
        """Call `callback` on the consumer thread whenever messages are queued,
        so the ingestion drains them at once (decision 037)."""
        self._arrived = callback

    def close(self) -> None:
        """Stop the consumer thread and leave the group; idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._thread.join()
        with self._lock:
            self._health.closed()
            self._say()

    def _run(self) -> None:
        try:
            while not self._closed.is_set():
                try:
                    self._consume_once()
                except Exception:  # the consumer thread must outlive anything
                    self._log.error(
                        "unexpected",
                        "kafka consumer: unexpected error; continuing",
                        exc_info=True,
                    )
                    self._closed.wait(ERROR_BACKOFF_S)
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
        decoded: list[tuple[Message, int]] = []
        skipped: list[str] = []
        ignored: list[str] = []
        errors: list[tuple[KafkaError, str | None]] = []
        topics: set[str] = set()
        replayed = 0
        passed_over = 0
        on_change: set[str] = set()
        tapped: list[WireRecord] = []
        arrived_ns = time.time_ns()
        started = time.thread_time()
        for record in records:
            error = record.error()
            if error is not None:
                errors.append((error, record.topic()))
                continue
            topic, partition, offset = (
                record.topic(),
                record.partition(),
                record.offset(),
            )
            topics.add(topic)
            expected = self._next_offsets.get((topic, partition))
            if expected is not None and offset > expected:
                passed_over += self._passed(topic, partition, expected, offset)
            self._next_offsets[(topic, partition)] = offset + 1
            replay = self._replays.get((topic, partition))
            if replay is not None:
                if offset + 1 >= replay.end:
                    del self._replays[(topic, partition)]
                kind, timestamp_ms = record.timestamp()
                if kind != confluent_kafka.TIMESTAMP_NOT_AVAILABLE and (
                    timestamp_ms < replay.cutoff_ms
                ):
                    continue  # before the look-back's time bound
                replayed += 1
            payload = record.value() or b""
            try:
                message = self._decoder.decode(payload)
            except Exception as failure:  # one bad record costs one record
                if (
                    isinstance(failure, UnknownSchemaError)
                    and failure.schema_id in self._ignore_schemas
                ):
                    ignored.append(failure.schema_id)
                    continue
                reason = self._skip(failure, topic, partition, offset)
                skipped.append(reason)
                continue
            decoded.append((message, len(payload)))
            if payload[4:8] == ON_CHANGE_SCHEMA:
                on_change.add(message.key)
            if self._tap is not None:
                tapped.append(_wire_record(record, payload, arrived_ns))
        decode_seconds = time.thread_time() - started
        if tapped and self._tap is not None:
            self._tap(tapped)
        with self._lock:
            self._consumed += len(records) - len(errors)
            self._replayed += replayed
            self._passed_over += passed_over
            self._decode_seconds += decode_seconds
            self._skipped.update(skipped)
            self._ignored.update(ignored)
            if not on_change <= self._on_change:
                self._on_change = self._on_change | on_change
            self._errors.update(error.name() for error, _ in errors)
            self._enqueue(decoded)
            if topics:
                self._health.records_arrived(topics)
            for error, topic in errors:
                self._note(classify(error, topic))
            self._say()
        arrived = self._arrived
        if decoded and arrived is not None:
            arrived()

    def _passed(self, topic: str, partition: int, expected: int, offset: int) -> int:
        """Records between the one expected and the one read: never read.

        Offsets of a partition are consecutive on the facility's topics (no
        compaction, no transactions), so a gap means librdkafka reset the
        consumer's offset past them (`auto.offset.reset`, decision 034).
        """
        self._log.warning(
            OFFSET_RESET,
            "kafka: %s [%d]: offsets %d..%d were never read (offset reset)",
            topic,
            partition,
            expected,
            offset - 1,
        )
        return offset - expected

    def _skip(self, failure: Exception, topic: str, partition: int, offset: int) -> str:
        if isinstance(failure, DecodeError):
            reason = str(failure.reason)
            self._log.warning(
                reason,
                "skipped record from %s [%d] @%d (%s): %s",
                topic,
                partition,
                offset,
                reason,
                failure,
            )
            return reason
        reason = str(Reason.FAILED_TO_DECODE)
        self._log.warning(
            reason,
            "skipped record from %s [%d] @%d (%s): %r",
            topic,
            partition,
            offset,
            reason,
            failure,
            exc_info=True,
        )
        return reason

    def _enqueue(self, decoded: list[tuple[Message, int]]) -> None:
        self._queue.extend(decoded)
        self._queued_bytes += sum(size for _, size in decoded)
        # The present matters, not a growing lag: drop the oldest, but keep
        # the newest message even if it alone exceeds the byte bound.
        while len(self._queue) > 1 and (
            len(self._queue) > self._max_queued
            or self._queued_bytes > self._max_queued_bytes
        ):
            _, size = self._queue.popleft()
            self._queued_bytes -= size
            self._dropped += 1

    def _on_assign(
        self, consumer: confluent_kafka.Consumer, partitions: list[TopicPartition]
    ) -> None:
        for partition in partitions:
            partition.offset = confluent_kafka.OFFSET_END
        try:
            self._set_start_offsets(consumer, partitions)
        except Exception:  # an assignment must happen, even without history
            self._log.warning(
                "lookback",
                "kafka: look-back unavailable, reading from the newest record",
                exc_info=True,
            )
        if self._incremental:
            consumer.incremental_assign(partitions)
        else:
            consumer.assign(partitions)
        with self._lock:
            self._health.assigned(partition.topic for partition in partitions)
            self._say()

    def _set_start_offsets(
        self, consumer: confluent_kafka.Consumer, partitions: list[TopicPartition]
    ) -> None:
        """Resume where this source stopped reading, else start at the look-back."""
        fresh = []
        for partition in partitions:
            resume = self._next_offsets.get((partition.topic, partition.partition))
            if resume is not None:
                partition.offset = resume  # no gap, no duplicate after a rebalance
            elif not self._lookback.live_only:
                fresh.append(partition)
        if not fresh:
            return
        cutoff_ms = self._lookback.cutoff_ms(round(time.time() * 1000))
        recent = consumer.offsets_for_times(
            [TopicPartition(p.topic, p.partition, cutoff_ms) for p in fresh],
            OFFSETS_TIMEOUT_S,
        )
        for partition, first_recent in zip(fresh, recent, strict=True):
            low, high = consumer.get_watermark_offsets(
                partition, OFFSETS_TIMEOUT_S, cached=False
            )
            # -1: no record at or after the cutoff, or a broker that cannot
            # say (librdkafka's mock): the time bound is then applied per record.
            known = first_recent.offset if first_recent.offset >= 0 else None
            start = self._lookback.start_offset(low, high, known)
            partition.offset = start
            if start < high:
                self._replays[(partition.topic, partition.partition)] = _Replay(
                    end=high, cutoff_ms=cutoff_ms
                )

    def _on_error(self, error: KafkaError) -> None:
        classified = classify(error)
        with self._lock:
            self._note(classified)
            self._say()

    def _note(self, classified: ClassifiedError) -> None:
        """Record what an error means for the status; call with the lock held."""
        self._health.error(classified)
        kind = classified.kind
        level = logging.INFO if kind is ErrorKind.TRANSIENT else logging.WARNING
        self._log.log(level, kind, "kafka client: %s", classified.description)

    def _on_stats(self, stats_json: str) -> None:
        brokers = json.loads(stats_json).get("brokers", {})
        reachable = any(broker.get("state") == "UP" for broker in brokers.values())
        with self._lock:
            self._health.brokers_seen(reachable)
            self._say()

    def _say(self) -> None:
        """Log the state when it changes; call with the lock held."""
        connected, state = self._health.state()
        if state != self._said:
            self._said = state
            impaired = self._health.impairment()
            calm = (connected and not impaired) or self._closed.is_set()
            log = logger.info if calm else logger.warning
            log("kafka %s: %s", self._bootstrap_servers, state)
