"""Tests of app/sources/kafka_errors.py: librdkafka errors in the operator's words."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from app.sources.kafka_errors import ErrorKind, classify


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (
            KafkaError(KafkaError._SSL, "handshake failed", fatal=True),
            ErrorKind.FATAL,
            "fatal error",
        ),
        (
            KafkaError(KafkaError._FATAL, "see the fatal error"),
            ErrorKind.FATAL,
            "fatal error",
        ),
        (
            KafkaError(KafkaError._SSL, "certificate verify failed"),
            ErrorKind.AUTHENTICATION,
            "SSL failure",
        ),
        (
            KafkaError(KafkaError._AUTHENTICATION, "bad password"),
            ErrorKind.AUTHENTICATION,
            "authentication failed",
        ),
        (
            KafkaError(KafkaError.SASL_AUTHENTICATION_FAILED, "no"),
            ErrorKind.AUTHENTICATION,
            "authentication failed",
        ),
        (
            KafkaError(KafkaError.GROUP_AUTHORIZATION_FAILED, "no"),
            ErrorKind.AUTHENTICATION,
            "not authorised",
        ),
        (
            KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "no"),
            ErrorKind.AUTHENTICATION,
            "not authorised",
        ),
        (
            KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"),
            ErrorKind.UNREACHABLE,
            "broker unreachable",
        ),
        (
            KafkaError(KafkaError._RESOLVE, "no such host"),
            ErrorKind.UNREACHABLE,
            "broker unreachable",
        ),
        (
            KafkaError(KafkaError._TRANSPORT, "connection refused"),
            ErrorKind.TRANSIENT,
            "_TRANSPORT",
        ),
    ],
)
def test_client_errors_are_classified_in_the_operators_words(
    error: KafkaError, kind: ErrorKind, words: str
) -> None:
    classified = classify(error)
    assert classified.kind is kind
    assert words in classified.description
    assert "connected" not in classified.description


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (KafkaError.UNKNOWN_TOPIC_OR_PART, "topic 'logs' does not exist"),
        (KafkaError._UNKNOWN_TOPIC, "topic 'logs' does not exist"),
        (KafkaError.TOPIC_AUTHORIZATION_FAILED, "not authorised to read topic 'logs'"),
    ],
)
def test_topic_errors_of_a_record_name_the_topic(code: int, words: str) -> None:
    classified = classify(KafkaError(code, "broker says no"), topic="logs")
    assert classified.kind is ErrorKind.TOPIC
    assert classified.description == words
    assert classified.topic == "logs"


def test_a_failed_ssl_handshake_is_an_ssl_failure_in_the_same_words_each_retry() -> (
    None
):
    def handshake(ms: int) -> KafkaError:
        return KafkaError(
            KafkaError._TRANSPORT,
            "ssl://broker:9093/bootstrap: SSL handshake failed: Disconnected: "
            f"connecting to a PLAINTEXT broker listener? (after {ms}ms in state "
            "SSL_HANDSHAKE)",
        )

    first, second = classify(handshake(0)), classify(handshake(15))
    assert first.kind is ErrorKind.AUTHENTICATION
    assert first.description.startswith("SSL failure: ")
    assert "PLAINTEXT broker listener?" in first.description
    assert first.description == second.description
