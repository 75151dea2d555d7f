"""Tests of app/sources/kafka_fill.py: Kafka's look-back up to where a
recording begins."""

from __future__ import annotations

import pytest
import scipp as sc

from app.sources.codec import Decoder, encode_f144
from app.sources.lookback import LookBack
from tests.recording.support import T0
from tests.waiting import poll_until

pytestmark = pytest.mark.kafka


def test_the_look_back_counts_its_records_back_from_the_recordings_start() -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    from app.sources.kafka_fill import KafkaFill
    from app.testing.mock_cluster import MockKafkaCluster

    with MockKafkaCluster() as cluster:
        cluster.create_topic("logs", partitions=1)
        producer = confluent_kafka.Producer(
            {"bootstrap.servers": cluster.bootstrap_servers, "linger.ms": 0}
        )
        for i in range(20):
            payload = encode_f144("log/motor_x", sc.scalar(float(i)), T0 + i)
            producer.produce("logs", value=payload)
        assert producer.flush(10) == 0

        # The recording begins at offset 15; five records before it are read.
        fill = KafkaFill(
            cluster.bootstrap_servers,
            {("logs", 0): 15},
            lookback=LookBack(seconds=3600, records=5),
            decoder=Decoder(),
        )
        got = []
        try:
            poll_until(lambda: bool(got.extend(fill.get_messages())) or fill.done)
            got.extend(fill.get_messages())
        finally:
            fill.close()

    assert [m.timestamp - T0 for m in got] == [10, 11, 12, 13, 14]


def test_a_broker_that_does_not_answer_leaves_the_restore_to_go_on() -> None:
    pytest.importorskip("confluent_kafka")
    from app.sources.kafka_fill import KafkaFill
    from app.testing.mock_cluster import MockKafkaCluster

    with MockKafkaCluster() as cluster:
        cluster.create_topic("logs", partitions=1)
        cluster.set_broker_down()
        fill = KafkaFill(
            cluster.bootstrap_servers,
            {("logs", 0): 15},
            lookback=LookBack(),
            decoder=Decoder(),
            timeout_s=1.0,
        )
        try:
            poll_until(lambda: fill.done, timeout_s=15)
        finally:
            fill.close()
        assert fill.get_messages() == []
