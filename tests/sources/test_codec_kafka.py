"""Every wire dtype through Kafka (librdkafka's mock cluster) into exact scipp values.

Payloads are made by ess-streaming-data-types, produced with confluent-kafka and
consumed by `KafkaSource`, which decodes them with app/sources/codec.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipp as sc
from streaming_data_types.dataarray_da00 import Variable, serialise_da00
from streaming_data_types.logdata_f144 import serialise_f144

from app.sources.codec import F144_ARRAY_DIM
from app.sources.kafka import KafkaSource
from app.sources.message import Message
from tests.sources.kafka_support import DATA_TOPIC, LOG_TOPIC
from tests.sources.wire_dtypes import WIRE_DTYPES, extremes
from tests.waiting import poll_until

pytestmark = pytest.mark.kafka

T0 = 1_700_000_000_000_000_000


def produce(producer: Any, topic: str, key: str, payload: bytes) -> None:
    producer.produce(topic, key=key.encode(), value=payload)


def receive(source: KafkaSource, count: int) -> dict[str, Message]:
    received: dict[str, Message] = {}

    def all_there() -> bool:
        received.update((m.key, m) for m in source.get_messages())
        return len(received) >= count

    poll_until(all_there)
    return received


def test_da00_of_every_wire_dtype_arrives_exact_through_kafka(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    images = {wire: np.resize(extremes(wire), (2, 5)) for wire in WIRE_DTYPES}
    for i, (wire, image) in enumerate(images.items()):
        key = f"detector/{wire}"
        payload = serialise_da00(
            source_name=key,
            timestamp_ns=T0 + i,
            data=[
                Variable(name="signal", data=image, axes=["y", "x"], unit="counts"),
                Variable(name="x", data=image[0], axes=["x"], unit="mm"),
            ],
        )
        produce(producer, DATA_TOPIC, key, payload)
    assert producer.flush(10) == 0
    source = make_source()

    received = receive(source, len(images))

    for i, (wire, image) in enumerate(images.items()):
        message = received[f"detector/{wire}"]
        value = message.value
        expected = WIRE_DTYPES[wire]
        assert message.timestamp == T0 + i
        assert value.dims == ("y", "x"), wire
        assert value.dtype == expected, wire
        assert value.unit == sc.Unit("counts")
        assert value.values.tolist() == image.tolist(), wire
        assert value.coords["x"].dtype == expected, wire
        assert value.coords["x"].values.tolist() == image[0].tolist(), wire
    assert dict(source.stats.skipped) == {}


def test_f144_scalars_and_arrays_of_every_wire_dtype_arrive_exact_through_kafka(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    arrays = {wire: extremes(wire) for wire in WIRE_DTYPES}
    for wire, values in arrays.items():
        produce(
            producer,
            LOG_TOPIC,
            f"log/{wire}",
            serialise_f144(f"log/{wire}", values[-1], T0),
        )
        produce(
            producer,
            LOG_TOPIC,
            f"log/{wire}_array",
            serialise_f144(f"log/{wire}_array", values, T0),
        )
    assert producer.flush(10) == 0
    source = make_source(log_units={"log/float64": "K"})

    received = receive(source, 2 * len(arrays))

    for wire, values in arrays.items():
        expected = WIRE_DTYPES[wire]
        scalar = received[f"log/{wire}"].value
        assert scalar.dims == (), wire
        assert scalar.dtype == expected, wire
        assert scalar.value == values[-1], wire
        array = received[f"log/{wire}_array"].value
        assert array.dims == (F144_ARRAY_DIM,), wire
        assert array.dtype == expected, wire
        assert array.values.tolist() == values.tolist(), wire
    assert received["log/float64"].value.unit == sc.Unit("K")
    assert dict(source.stats.skipped) == {}


def test_uint64_beyond_int64_is_skipped_as_unsupported_dtype_through_kafka(
    make_source: Callable[..., KafkaSource], producer: Any
) -> None:
    too_big = np.array([2**63, 1], dtype=np.uint64)
    fits = np.array([2**63 - 1, 1], dtype=np.uint64)
    for i, values in enumerate([too_big, fits]):
        produce(
            producer,
            LOG_TOPIC,
            "log/counter",
            serialise_f144("log/counter", values, T0 + i),
        )
    assert producer.flush(10) == 0
    source = make_source()

    poll_until(lambda: source.stats.consumed == 2)

    [message] = source.get_messages()
    assert message.timestamp == T0 + 1
    assert message.value.dtype == sc.DType.int64
    assert message.value.values.tolist() == fits.tolist()
    assert dict(source.stats.skipped) == {"unsupported dtype": 1}
