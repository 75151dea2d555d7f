"""Tests of app/sources/kafka.py against librdkafka's mock cluster (real protocol)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipp as sc
from streaming_data_types.dataarray_da00 import Variable, serialise_da00
from streaming_data_types.eventdata_ev44 import serialise_ev44
from streaming_data_types.logdata_f144 import serialise_f144

from app.data import DataService, WindowExtractor
from app.ingestion.orchestrator import Orchestrator
from app.ingestion.process import Ingestion, default_history
from app.options import DashboardOptions
from app.sources.codec import DecodeError, Decoder
from app.sources.kafka import KafkaSource
from app.sources.message import Message, MessageSource
from app.sources.reasons import OFFSET_RESET, Reason
from app.sources.throttled_log import ThrottledLog
from app.sources.wire import WireRecord
from app.testing.mock_cluster import MockKafkaCluster
from tests.sources.kafka_support import DATA_TOPIC, LOG_TOPIC
from tests.waiting import poll_until

pytestmark = pytest.mark.kafka

T0 = 1_700_000_000_000_000_000
TOF_EDGES = np.linspace(0.0, 70_000.0, 6)
ERRORS = 0.5 * np.arange(1, 6)  # their squares are exact in binary


def spectrum(source: str, i: int) -> bytes:
    """A 5-bin da00 spectrum whose counts encode the sequence number `i`."""
    counts = np.full(5, float(i)) + np.arange(5)
    return serialise_da00(
        source_name=source,
        timestamp_ns=T0 + i,
        data=[
            Variable(name="signal", data=counts, axes=["tof"], unit="counts"),
            Variable(name="errors", data=ERRORS, axes=["tof"], unit="counts"),
            Variable(name="tof", data=TOF_EDGES, axes=["tof"], unit="us"),
        ],
    )


def expected_spectrum(i: int) -> sc.DataArray:
    counts = np.full(5, float(i)) + np.arange(5)
    return sc.DataArray(
        sc.array(dims=["tof"], values=counts, variances=ERRORS**2, unit="counts"),
        coords={
            "tof": sc.array(dims=["tof"], values=TOF_EDGES, unit="us"),
            "time": sc.datetime(T0 + i, unit="ns"),
        },
    )


def produce(
    producer: Any, topic: str, key: str, payload: bytes, timestamp_ms: int = 0
) -> None:
    # Keyed by source name, as the facility's producers do: order holds per key.
    producer.produce(topic, key=key.encode(), value=payload, timestamp=timestamp_ms)


def log_value(key: str, i: int) -> bytes:
    """An f144 float log whose value and timestamp encode the sequence number."""
    return serialise_f144(key, float(i), T0 + i)


def decode_failure(payload: bytes) -> str:
    """The reason the decoder gives for refusing `payload`."""
    try:
        Decoder().decode(payload)
    except DecodeError as failure:
        return str(failure.reason)
    raise AssertionError("payload decodes")


def receive_into(source: KafkaSource, received: list[Message]) -> Callable[..., bool]:
    """A poll condition: drain `source` into `received` until it holds `count`."""

    def has(count: int) -> Callable[[], bool]:
        def done() -> bool:
            received.extend(source.get_messages())
            return len(received) >= count

        return done

    return has


class WindowRecorder:
    def __init__(self, keys: list[str], size: int) -> None:
        self._extractors = {key: WindowExtractor(size) for key in keys}
        self.latest: dict[str, Any] = {}

    @property
    def keys(self) -> set[str]:
        return set(self._extractors)

    @property
    def extractors(self) -> dict[str, Any]:
        return self._extractors

    def trigger(self, store: dict[str, Any]) -> None:
        self.latest.update(store)


def test_kafka_source_is_a_message_source(make_source: Callable[..., KafkaSource]):
    assert isinstance(make_source(), MessageSource)


def test_da00_and_f144_reach_the_data_service_as_data_arrays(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    monitors = ["monitor/m1", "monitor/m2", "monitor/m3"]
    for i in range(10):
        for key in monitors:
            produce(producer, DATA_TOPIC, key, spectrum(key, i))
        produce(
            producer,
            LOG_TOPIC,
            "log/sample_temperature",
            serialise_f144("log/sample_temperature", 290.0 + i, T0 + i),
        )
    assert producer.flush(10) == 0
    source = make_source(log_units={"log/sample_temperature": "K"})
    ds = DataService()
    recorder = WindowRecorder([*monitors, "log/sample_temperature"], size=10)
    ds.register_subscriber(recorder)
    orchestrator = Orchestrator(source, ds)

    def applied_all() -> bool:
        orchestrator.update()
        return orchestrator.stats.applied == 40

    poll_until(applied_all)

    for key in monitors:
        window = recorder.latest[key]
        assert window.sizes == {"time": 10, "tof": 5}
        for i in range(10):  # every frame, in the order produced
            frame = window["time", i].copy()
            frame.coords.set_aligned("time", True)
            assert sc.identical(frame, expected_spectrum(i)), (key, i)
        assert sc.identical(ds[key], expected_spectrum(9))
    temperature = ds["log/sample_temperature"]
    assert sc.identical(
        temperature,
        sc.DataArray(
            sc.scalar(299.0, unit="K"), coords={"time": sc.datetime(T0 + 9, unit="ns")}
        ),
    )
    temperatures = recorder.latest["log/sample_temperature"]
    assert list(temperatures.values) == [290.0 + i for i in range(10)]
    assert source.stats.consumed == 40
    assert dict(source.stats.skipped) == {}
    assert source.status.connected
    assert source.status.description.endswith("connected")


def test_corrupt_payload_and_foreign_schema_are_counted_and_skipped(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "monitor/m1"
    bad = [
        spectrum(key, 1)[:40],
        serialise_ev44(key, 0, [T0], [0], [1], [2]),
        b"not a flatbuffer at all",
    ]
    produce(producer, DATA_TOPIC, key, spectrum(key, 0))
    for payload in bad:
        produce(producer, DATA_TOPIC, key, payload)
    produce(producer, DATA_TOPIC, key, spectrum(key, 2))
    assert producer.flush(10) == 0
    # Nothing expected besides what the dashboard reads: ev44 is unknown here.
    source = make_source(ignore_schemas=())

    poll_until(lambda: source.stats.consumed == 5)

    values = [message.value for message in source.get_messages()]
    assert len(values) == 2
    assert sc.identical(values[0], expected_spectrum(0))
    assert sc.identical(values[1], expected_spectrum(2))
    # Counted under the decoder's own reason for each payload.
    assert dict(source.stats.skipped) == Counter(decode_failure(p) for p in bad)
    assert source.status.connected
    assert source.status.description.endswith("connected, 3 undecodable skipped")
    assert source.status.lost == source.stats.skipped


def test_records_of_expected_other_schemas_are_ignored_not_lost(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "monitor/m1"
    produce(producer, DATA_TOPIC, key, serialise_ev44(key, 0, [T0], [0], [1], [2]))
    # Only the schema id matters (the f142 serialiser needs an older numpy).
    produce(producer, DATA_TOPIC, key, b"\x08\x00\x00\x00f142" + bytes(16))
    produce(producer, DATA_TOPIC, key, spectrum(key, 0))
    produce(producer, DATA_TOPIC, key, b"\x00\x00\x00\x00zz99 not read")
    assert producer.flush(10) == 0
    source = make_source()  # the default: ev44 and f142 are expected

    poll_until(lambda: source.stats.consumed == 4)

    assert len(source.get_messages()) == 1
    assert dict(source.stats.ignored) == {"ev44": 1, "f142": 1}
    # Only the schema nobody expects is lost.
    assert dict(source.status.lost) == {Reason.UNKNOWN_SCHEMA: 1}
    assert "2 of other schemas ignored (ev44, f142)" in source.status.description


class _HoldingDecoder:
    """Decodes, but holds the consumer thread on the record stamped T0 + `hold`."""

    def __init__(self, hold: int) -> None:
        self._decoder = Decoder()
        self._hold = T0 + hold
        self.holding = threading.Event()
        self.release = threading.Event()

    def decode(self, payload: bytes) -> Message:
        message = self._decoder.decode(payload)
        if message.timestamp == self._hold:
            self.holding.set()
            self.release.wait(20)
        return message


def test_records_passed_over_by_an_offset_reset_are_counted_as_lost(
    cluster: MockKafkaCluster, make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    topic, key = "retention", "monitor/m1"
    cluster.create_topic(topic, partitions=1)
    decoder = _HoldingDecoder(hold=1)
    source = make_source(
        topics=[topic],
        lookback_s=0,
        decoder=decoder,
        # Fetch no further ahead than one record while the thread is held;
        # after the reset, read what is left (any reset leaves the same gap).
        config={"queued.min.messages": 1, "auto.offset.reset": "earliest"},
    )
    poll_until(lambda: source.status.connected)
    produce(producer, topic, key, spectrum(key, 0))
    assert producer.flush(10) == 0
    poll_until(lambda: source.stats.consumed == 1)
    produce(producer, topic, key, spectrum(key, 1))
    assert producer.flush(10) == 0
    poll_until(decoder.holding.is_set)
    for i in range(2, 7):
        produce(producer, topic, key, spectrum(key, i))
    assert producer.flush(10) == 0
    # Retention passes the consumer, which is still at offset 2 or 3.
    cluster.delete_records(topic, 0, before=7)
    for i in range(7, 10):
        produce(producer, topic, key, spectrum(key, i))
    assert producer.flush(10) == 0
    decoder.release.set()

    seen: list[int] = []
    poll_until(
        lambda: (
            bool(seen.extend(m.timestamp - T0 for m in source.get_messages()))
            or (seen and seen[-1] == 9)
        )
    )

    passed_over = source.stats.passed_over
    assert passed_over >= 1
    # Every record was either shown or counted as lost, none twice.
    assert len(seen) + passed_over == 10
    assert seen[:2] == [0, 1]
    assert seen[-3:] == [7, 8, 9]
    assert source.status.lost == {OFFSET_RESET: passed_over}
    assert f"{passed_over} skipped by an offset reset" in source.status.description


def test_keys_of_f144_logs_are_told_as_publishing_on_change(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    produce(producer, LOG_TOPIC, "log/motor_x", log_value("log/motor_x", 0))
    produce(producer, DATA_TOPIC, "monitor/m1", spectrum("monitor/m1", 0))
    assert producer.flush(10) == 0
    source = make_source()

    poll_until(lambda: source.stats.consumed == 2)

    assert source.status.on_change_keys == {"log/motor_x"}


def test_a_queued_record_tells_the_ingestion_at_once(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    source = make_source()
    told = threading.Event()
    source.notify_arrivals(told.set)
    produce(producer, LOG_TOPIC, "log/motor_x", log_value("log/motor_x", 0))
    assert producer.flush(10) == 0

    poll_until(told.is_set)

    assert source.stats.queued == 1


def test_full_queue_drops_the_oldest_and_counts(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "monitor/m1"
    for i in range(20):
        produce(producer, DATA_TOPIC, key, spectrum(key, i))
    assert producer.flush(10) == 0
    source = make_source(max_queued=5)

    poll_until(lambda: source.stats.consumed == 20)

    timestamps = [message.timestamp for message in source.get_messages()]
    assert timestamps == [T0 + i for i in range(15, 20)]
    assert source.stats.dropped == 15
    assert source.stats.queued == 0
    assert source.status.description.endswith(", 15 dropped behind")
    assert source.status.lost == {"dropped behind": 15}


def test_consumer_survives_the_broker_going_away_and_coming_back(
    cluster: MockKafkaCluster,
    make_source: Callable[..., KafkaSource],
    producer: Any,
) -> None:
    key = "monitor/m1"
    source = make_source()
    received: list[int] = []

    def receive(count: int) -> Callable[[], bool]:
        def done() -> bool:
            received.extend(m.timestamp - T0 for m in source.get_messages())
            return len(received) >= count

        return done

    produce(producer, DATA_TOPIC, key, spectrum(key, 0))
    poll_until(receive(1))
    assert source.status.connected

    # The broker closes every connection and refuses new ones on its port.
    cluster.set_broker_down()
    poll_until(lambda: not source.status.connected)
    assert source.status.description.endswith("broker unreachable")
    consumer_threads = [t for t in threading.enumerate() if t.name == "kafka-consumer"]
    assert consumer_threads
    assert all(t.is_alive() for t in consumer_threads)

    cluster.set_broker_up()
    for i in range(1, 4):
        produce(producer, DATA_TOPIC, key, spectrum(key, i))
    poll_until(receive(4))
    poll_until(lambda: source.status.connected)

    assert received == [0, 1, 2, 3]
    assert source.status.description.endswith("connected")


def test_unreachable_broker_at_start_is_reported_then_recovered(
    cluster: MockKafkaCluster,
    make_source: Callable[..., KafkaSource],
    producer: Any,
) -> None:
    cluster.set_broker_down()
    source = make_source()

    poll_until(lambda: source.status.description.endswith("broker unreachable"))
    assert not source.status.connected
    assert source.get_messages() == []

    cluster.set_broker_up()
    produce(producer, DATA_TOPIC, "monitor/m1", spectrum("monitor/m1", 7))
    poll_until(lambda: source.stats.queued == 1)
    assert source.status.connected
    assert [m.timestamp for m in source.get_messages()] == [T0 + 7]


def test_close_stops_the_consumer_thread_and_is_idempotent(
    cluster: MockKafkaCluster, make_source: Callable[..., KafkaSource]
) -> None:
    before = {t.ident for t in threading.enumerate()}
    source = make_source()
    started = [
        t
        for t in threading.enumerate()
        if t.name == "kafka-consumer" and t.ident not in before
    ]
    assert len(started) == 1

    cluster.set_broker_down()  # closing must not wait for an absent broker
    source.close()
    source.close()

    assert not started[0].is_alive()
    assert not source.status.connected
    assert source.status.description.endswith("closed")
    assert source.get_messages() == []


def test_constructor_rejects_bad_arguments(cluster: MockKafkaCluster) -> None:
    with pytest.raises(ValueError, match="max_queued"):
        KafkaSource(cluster.bootstrap_servers, [DATA_TOPIC], max_queued=0)
    with pytest.raises(ValueError, match="topics"):
        KafkaSource(cluster.bootstrap_servers, DATA_TOPIC)


class FailsOnMarkedKeys:
    """The real decoder, raising a non-DecodeError for keys starting ``broken``."""

    def __init__(self) -> None:
        self._decoder = Decoder()

    def decode(self, payload: bytes) -> Message:
        message = self._decoder.decode(payload)
        if message.key.startswith("broken"):
            raise OverflowError(f"key {message.key!r}: value out of range")
        return message


def test_records_whose_decoding_raises_cost_one_record_each(
    make_source: Callable[..., KafkaSource],
    producer: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = "log/sample_temperature"
    # One key, one partition: the whole lot arrives in one or few batches.
    for i in range(400):
        produce(producer, LOG_TOPIC, key, log_value(key, i))
        if i % 10 == 0:
            produce(producer, LOG_TOPIC, key, log_value("broken/" + key, i))
    assert producer.flush(10) == 0
    caplog.set_level(logging.INFO, logger="app.sources.kafka")
    source = make_source(decoder=FailsOnMarkedKeys())

    poll_until(lambda: source.stats.consumed == 440)

    timestamps = [message.timestamp - T0 for message in source.get_messages()]
    assert timestamps == list(range(400))
    assert dict(source.stats.skipped) == {Reason.FAILED_TO_DECODE: 40}
    assert source.status.description.endswith("connected, 40 undecodable skipped")
    skip_lines = [r for r in caplog.records if "skipped record" in r.getMessage()]
    # One line per reason per interval, naming where the record was.
    assert len(skip_lines) == 1
    assert f"{LOG_TOPIC} [" in skip_lines[0].getMessage()
    assert "OverflowError" in skip_lines[0].getMessage()


def test_f144_of_every_dtype_never_costs_the_good_records_around_it(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "log/motor_x"
    odd = [
        serialise_f144(key, np.arange(3, dtype=dtype), T0)
        for dtype in ("int8", "uint8", "int16", "uint16", "uint32", "uint64")
    ]
    odd.append(serialise_f144(key, np.uint64(2**63), T0))
    odd.append(b"garbage that is no flatbuffer")
    for i in range(100):
        produce(producer, LOG_TOPIC, "log/motor_y", log_value("log/motor_y", i))
        if i < len(odd):
            # Same key as the good ones: same partition, same batch.
            produce(producer, LOG_TOPIC, "log/motor_y", odd[i])
    assert producer.flush(10) == 0
    source = make_source()

    poll_until(lambda: source.stats.consumed == 100 + len(odd))

    messages = source.get_messages()
    good = [m.timestamp - T0 for m in messages if m.key == "log/motor_y"]
    assert good == list(range(100))
    # Whatever the decoder makes of the odd ones, each costs at most itself.
    others = len(messages) - len(good)
    assert others + sum(source.stats.skipped.values()) == len(odd)


def test_new_source_shows_what_was_written_before_it_started(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    keys = [f"log/slow_{n}" for n in range(8)]  # spread over the partitions
    for i in range(3):
        for key in keys:
            produce(producer, LOG_TOPIC, key, log_value(key, i))
    assert producer.flush(10) == 0
    source = make_source()
    received: list[Message] = []

    poll_until(receive_into(source, received)(3 * len(keys)))

    last = {message.key: message.timestamp - T0 for message in received}
    assert last == dict.fromkeys(keys, 2)
    assert source.stats.replayed == 3 * len(keys)


def test_lookback_reads_at_most_lookback_records_per_partition(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "log/sample_temperature"
    for i in range(30):
        produce(producer, LOG_TOPIC, key, log_value(key, i))
    assert producer.flush(10) == 0
    source = make_source(lookback_records=10)
    received: list[Message] = []

    poll_until(receive_into(source, received)(10))
    produce(producer, LOG_TOPIC, key, log_value(key, 30))
    poll_until(receive_into(source, received)(11))

    assert [m.timestamp - T0 for m in received] == list(range(20, 31))
    assert source.stats.consumed == 11


def test_lookback_leaves_out_records_older_than_lookback_seconds(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "log/sample_temperature"
    now_ms = round(time.time() * 1000)
    for i in range(5):  # two hours ago
        produce(producer, LOG_TOPIC, key, log_value(key, i), now_ms - 7_200_000)
    for i in range(5, 8):  # a minute ago
        produce(producer, LOG_TOPIC, key, log_value(key, i), now_ms - 60_000)
    assert producer.flush(10) == 0
    source = make_source(lookback_s=3600)
    received: list[Message] = []

    poll_until(receive_into(source, received)(3))
    produce(producer, LOG_TOPIC, key, log_value(key, 8))
    poll_until(receive_into(source, received)(4))

    assert [m.timestamp - T0 for m in received] == [5, 6, 7, 8]
    assert source.stats.replayed == 3


def test_lookback_zero_reads_only_what_is_written_after_the_start(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "log/sample_temperature"
    for i in range(5):
        produce(producer, LOG_TOPIC, key, log_value(key, i))
    assert producer.flush(10) == 0
    source = make_source(lookback_s=0)
    received: list[Message] = []
    has = receive_into(source, received)

    def live_value_arrived() -> bool:
        # Until the partition is assigned, what is written is before the start.
        produce(producer, LOG_TOPIC, key, log_value(key, 100))
        producer.flush(1)
        return has(1)()

    poll_until(live_value_arrived)

    assert {m.timestamp - T0 for m in received} == {100}
    assert source.stats.replayed == 0


def test_live_records_follow_the_lookback_without_gap_or_duplicate(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "monitor/m1"
    for i in range(5):
        produce(producer, DATA_TOPIC, key, spectrum(key, i))
    assert producer.flush(10) == 0
    source = make_source()
    received: list[Message] = []

    poll_until(receive_into(source, received)(5))
    for i in range(5, 10):
        produce(producer, DATA_TOPIC, key, spectrum(key, i))
    poll_until(receive_into(source, received)(10))

    assert [m.timestamp - T0 for m in received] == list(range(10))


FAST_METADATA = {
    # A topic that appears is seen within a second, and the mock then
    # rebalances once the (short) session has timed out.
    "topic.metadata.refresh.interval.ms": 300,
    "session.timeout.ms": 1000,
    "heartbeat.interval.ms": 100,
    "max.poll.interval.ms": 1000,
}


def test_missing_topic_is_reported_and_reading_starts_when_it_appears(
    cluster: MockKafkaCluster,
    make_source: Callable[..., KafkaSource],
    producer: Any,
) -> None:
    key = "monitor/m1"
    produce(producer, DATA_TOPIC, key, spectrum(key, 0))
    assert producer.flush(10) == 0
    source = make_source(topics=[DATA_TOPIC, "late_logs"], config=FAST_METADATA)
    received: list[Message] = []
    has = receive_into(source, received)

    poll_until(lambda: "topic 'late_logs' does not exist" in source.status.description)
    poll_until(has(1))
    # Data flows, so the source is up, impaired by the missing topic.
    assert source.status.connected
    assert source.status.impaired == "topic 'late_logs' does not exist"

    cluster.create_topic("late_logs", partitions=2)
    for i in range(1, 4):
        produce(producer, DATA_TOPIC, key, spectrum(key, i))
    produce(producer, "late_logs", "log/x", log_value("log/x", 7))
    assert producer.flush(10) == 0
    poll_until(has(5))
    poll_until(lambda: source.status.connected)

    # The rebalance resumed the old topic where it was: no record twice.
    assert [m.timestamp - T0 for m in received if m.key == key] == [0, 1, 2, 3]
    assert [m.timestamp - T0 for m in received if m.key == "log/x"] == [7]
    assert source.status.description.endswith(": connected")
    assert source.status.impaired == ""


def test_queue_bounded_by_bytes_drops_the_oldest_and_counts(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "monitor/m1"
    size = len(spectrum(key, 0))
    for i in range(20):
        produce(producer, DATA_TOPIC, key, spectrum(key, i))
    assert producer.flush(10) == 0
    source = make_source(max_queued_bytes=5 * size + size // 2)

    poll_until(lambda: source.stats.consumed == 20)

    stats = source.stats
    assert stats.queued == 5
    assert stats.queued_bytes == 5 * size
    timestamps = [message.timestamp for message in source.get_messages()]
    assert timestamps == [T0 + i for i in range(15, 20)]
    assert source.stats.dropped == 15
    assert source.stats.queued_bytes == 0
    assert source.status.description.endswith(", 15 dropped behind")


def test_a_message_larger_than_the_byte_bound_is_still_delivered(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "monitor/m1"
    for i in range(3):
        produce(producer, DATA_TOPIC, key, spectrum(key, i))
    assert producer.flush(10) == 0
    source = make_source(max_queued_bytes=1)

    poll_until(lambda: source.stats.consumed == 3)

    assert [m.timestamp for m in source.get_messages()] == [T0 + 2]
    assert source.stats.dropped == 2


SUPPRESSED = re.compile(r"(\d+) identical error\(s\) suppressed")


def retries(asked: list[tuple]) -> int:
    """The retries behind the lines asked for: each, and librdkafka's own
    count of identical ones it did not log."""
    texts = (" ".join(map(str, args)) for args in asked)
    return sum(1 + sum(int(n) for n in SUPPRESSED.findall(text)) for text in texts)


def test_broker_outage_logs_a_bounded_number_of_lines(
    cluster: MockKafkaCluster,
    make_source: Callable[..., KafkaSource],
    producer: Any,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "monitor/m1"
    # Reconnects every few ms, not every ~50: the outage's retries come fast.
    backoff = {"reconnect.backoff.ms": 1, "reconnect.backoff.max.ms": 10}
    source = make_source(config=backoff)
    received: list[Message] = []
    produce(producer, DATA_TOPIC, key, spectrum(key, 0))
    poll_until(receive_into(source, received)(1))
    caplog.set_level(logging.INFO)
    caplog.clear()
    asked: list[tuple] = []  # every line the source asked to log, written or not
    log = ThrottledLog.log

    def counted(self: ThrottledLog, *args: Any, **kwargs: Any) -> bool:
        asked.append(args)
        return log(self, *args, **kwargs)

    monkeypatch.setattr(ThrottledLog, "log", counted)

    cluster.set_broker_down()
    poll_until(lambda: not source.status.connected)
    # The outage itself: over three times the bound below in retries (0.14 s of
    # them on a quiet machine). On a loaded one librdkafka's log repeats the
    # same text and suppresses the repeats itself: its count of them is counted
    # as asked, or the test waited a minute for lines that never came.
    poll_until(lambda: retries(asked) >= 40, timeout_s=60.0)
    cluster.set_broker_up()
    produce(producer, DATA_TOPIC, key, spectrum(key, 1))
    poll_until(receive_into(source, received)(2))

    lines = [r for r in caplog.records if r.name.startswith("app.sources.kafka")]
    # A few kinds of line (disconnected, connect failed, unreachable,
    # reconnected), each at most once per interval; not one per retry.
    assert len(lines) <= 12, [r.getMessage() for r in lines]
    assert any("broker unreachable" in r.getMessage() for r in lines)


def test_constructor_rejects_bad_byte_bound_and_lookback(
    cluster: MockKafkaCluster,
) -> None:
    with pytest.raises(ValueError, match="max_queued_bytes"):
        KafkaSource(cluster.bootstrap_servers, [DATA_TOPIC], max_queued_bytes=0)
    with pytest.raises(ValueError, match="look-back seconds"):
        KafkaSource(cluster.bootstrap_servers, [DATA_TOPIC], lookback_s=-1)


def test_a_window_opened_after_the_lookback_shows_the_history_it_read(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    key = "log/sample_temperature"
    for i in range(30):
        produce(producer, LOG_TOPIC, key, log_value(key, i))
    assert producer.flush(10) == 0
    options = DashboardOptions(window_size=20)
    ingestion = Ingestion(
        make_source(), ingest_period_s=1.0, history=default_history(options)
    )

    def read_all() -> bool:
        ingestion.orchestrator.update()
        return ingestion.orchestrator.stats.applied >= 30

    poll_until(read_all)
    page = WindowRecorder([key], options.window_size)
    ingestion.data_service.register_subscriber(page, replay=True)

    window = page.latest[key]
    assert list(window.values) == [float(i) for i in range(10, 30)]


def test_the_tap_receives_each_decoded_record_as_it_arrived(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    tapped: list[WireRecord] = []
    source = make_source(tap=tapped.extend)
    payload = log_value("log/motor_x", 3)
    # Within the look-back: older records are left out before decoding.
    sent_ms = round(time.time() * 1000)
    produce(producer, LOG_TOPIC, "log/motor_x", payload, timestamp_ms=sent_ms)
    produce(producer, LOG_TOPIC, "log/motor_x", b"not a payload")
    assert producer.flush(10) == 0

    poll_until(lambda: source.stats.consumed == 2)

    # The record that decoded, with everything a replay needs; not the other.
    [record] = tapped
    assert (record.topic, record.key, record.value) == (
        LOG_TOPIC,
        b"log/motor_x",
        payload,
    )
    assert record.timestamp_ms == sent_ms
    assert record.partition >= 0
    assert record.offset >= 0
    assert record.arrived_ns > 0
