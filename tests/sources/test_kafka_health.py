"""Tests of app/sources/kafka_health.py: the status never says "connected" untruly."""

from __future__ import annotations

from confluent_kafka import KafkaError

from app.sources.kafka_errors import classify
from app.sources.kafka_health import KafkaHealth


def connected_health() -> KafkaHealth:
    health = KafkaHealth()
    health.records_arrived(["logs"])
    assert health.state() == (True, "connected")
    return health


def test_health_is_connecting_until_a_broker_answers() -> None:
    health = KafkaHealth()
    assert health.state() == (False, "connecting")
    health.brokers_seen(True)
    assert health.state() == (True, "connected")


def test_fatal_error_is_shown_for_good() -> None:
    health = connected_health()
    health.error(classify(KafkaError(KafkaError._SSL, "boom", fatal=True)))
    health.records_arrived(["logs"])
    health.brokers_seen(True)
    assert health.state() == (False, "fatal error: boom")


def test_refused_credentials_show_until_a_broker_lets_us_in() -> None:
    health = connected_health()
    health.error(classify(KafkaError(KafkaError._SSL, "certificate verify failed")))
    health.brokers_seen(False)
    assert health.state() == (False, "SSL failure: certificate verify failed")
    health.brokers_seen(True)
    assert health.state() == (True, "connected")


def test_missing_topic_shows_until_it_is_assigned() -> None:
    health = KafkaHealth()
    health.brokers_seen(True)
    health.error(classify(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART), "late"))
    assert health.state() == (False, "topic 'late' does not exist")
    assert health.impairment() == ""
    health.assigned(["late"])
    assert health.state() == (True, "connected")


def test_missing_topic_beside_a_read_one_impairs_without_taking_the_source_down() -> (
    None
):
    health = connected_health()
    health.error(classify(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART), "late"))
    health.records_arrived(["logs"])  # data of the other topic still arrives
    assert health.state() == (True, "topic 'late' does not exist")
    assert health.impairment() == "topic 'late' does not exist"
    health.assigned(["late"])
    assert health.state() == (True, "connected")
    assert health.impairment() == ""


def test_unreachable_broker_outranks_a_missing_topic_and_clears_on_stats() -> None:
    health = connected_health()
    health.error(classify(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART), "late"))
    health.error(classify(KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 down")))
    assert health.state() == (False, "broker unreachable")
    health.brokers_seen(True)
    assert health.state() == (True, "topic 'late' does not exist")


def test_transient_errors_leave_the_state_alone() -> None:
    health = connected_health()
    health.error(classify(KafkaError(KafkaError._TRANSPORT, "connection reset")))
    assert health.state() == (True, "connected")
    health.closed()
    assert health.state() == (False, "closed")
