"""Tests of app/sources/kafka.py against librdkafka's mock cluster (real protocol)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipp as sc
from streaming_data_types.dataarray_da00 import Variable, serialise_da00
from streaming_data_types.eventdata_ev44 import serialise_ev44
from streaming_data_types.logdata_f144 import serialise_f144

from app.data import DataService, WindowExtractor
from app.orchestrator import Orchestrator
from app.sources.kafka import KafkaSource
from app.sources.message import MessageSource
from app.testing.mock_cluster import MockKafkaCluster

from .kafka_support import DATA_TOPIC, LOG_TOPIC, poll_until

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


def produce(producer: Any, topic: str, key: str, payload: bytes) -> None:
    # Keyed by source name, as the facility's producers do: order holds per key.
    producer.produce(topic, key=key.encode(), value=payload)


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
    truncated = spectrum(key, 1)[:40]
    produce(producer, DATA_TOPIC, key, spectrum(key, 0))
    produce(producer, DATA_TOPIC, key, truncated)
    produce(producer, DATA_TOPIC, key, serialise_ev44(key, 0, [T0], [0], [1], [2]))
    produce(producer, DATA_TOPIC, key, b"not a flatbuffer at all")
    produce(producer, DATA_TOPIC, key, spectrum(key, 2))
    assert producer.flush(10) == 0
    source = make_source()

    poll_until(lambda: source.stats.consumed == 5)

    values = [message.value for message in source.get_messages()]
    assert len(values) == 2
    assert sc.identical(values[0], expected_spectrum(0))
    assert sc.identical(values[1], expected_spectrum(2))
    assert dict(source.stats.skipped) == {
        "malformed da00": 1,
        "unknown schema": 2,
    }
    assert source.status.connected
    assert source.status.description.endswith("connected, 3 undecodable skipped")


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
