"""Fixtures for the Kafka tests: a mock cluster, producers and sources that clean up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import confluent_kafka
import pytest

from app.sources.kafka import KafkaSource
from app.testing.mock_cluster import MockKafkaCluster
from tests.sources.kafka_support import DATA_TOPIC, LOG_TOPIC, PARTITIONS


@pytest.fixture
def cluster() -> Iterator[MockKafkaCluster]:
    with MockKafkaCluster() as mock:
        # Several partitions, as the mock's default and real topics have.
        mock.create_topic(DATA_TOPIC, partitions=PARTITIONS)
        mock.create_topic(LOG_TOPIC, partitions=PARTITIONS)
        yield mock


@pytest.fixture
def producer(cluster: MockKafkaCluster) -> Iterator[Any]:
    producer = confluent_kafka.Producer(
        # Quiet: it may outlive the cluster and retry until collected.
        {"bootstrap.servers": cluster.bootstrap_servers, "linger.ms": 0, "log_level": 2}
    )
    yield producer
    producer.flush(5)


@pytest.fixture
def make_source(cluster: MockKafkaCluster) -> Iterator[Callable[..., KafkaSource]]:
    sources: list[KafkaSource] = []

    def make(**kwargs: Any) -> KafkaSource:
        kwargs.setdefault("topics", [DATA_TOPIC, LOG_TOPIC])
        config: dict[str, Any] = {"statistics.interval.ms": 200}
        config.update(kwargs.pop("config", {}))
        source = KafkaSource(cluster.bootstrap_servers, config=config, **kwargs)
        sources.append(source)
        return source

    yield make
    for source in sources:
        source.close()
