"""The operator's librdkafka settings: file, pairs, secrets kept out of sight."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.ingestion.process import make_source
from app.options import parse_options
from app.sources.kafka import KafkaSource
from app.sources.kafka_settings import (
    KafkaSettingsError,
    client_settings,
    masked,
    read_properties,
    scrub,
)
from app.testing.mock_cluster import MockKafkaCluster
from tests.sources.kafka_support import DATA_TOPIC
from tests.waiting import poll_until

SECRET = "correct-horse-battery"


def test_a_properties_file_gives_pairs_and_skips_comments_and_blanks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "client.properties"
    path.write_text(
        "# the facility's brokers\n"
        "security.protocol=SASL_SSL\n"
        "\n"
        "! another comment\n"
        "  sasl.mechanisms = SCRAM-SHA-512  \n"
        "ssl.ca.location=/etc/ssl/facility.pem\n"
    )
    assert read_properties(path) == [
        ("security.protocol", "SASL_SSL"),
        ("sasl.mechanisms", "SCRAM-SHA-512"),
        ("ssl.ca.location", "/etc/ssl/facility.pem"),
    ]


def test_a_line_without_a_key_names_the_file_and_line_but_not_the_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "client.properties"
    path.write_text(f"security.protocol=SASL_SSL\n{SECRET}\n")
    with pytest.raises(KafkaSettingsError, match=r"client.properties:2") as error:
        read_properties(path)
    assert SECRET not in str(error.value)


def test_pairs_win_over_the_file_and_secrets_come_from_a_file_or_the_environment(
    tmp_path: Path,
) -> None:
    properties = tmp_path / "client.properties"
    properties.write_text("sasl.username=old\ngroup.id=livedata\n")
    password = tmp_path / "password"
    password.write_text(f"{SECRET}\n")
    settings = client_settings(
        str(properties),
        [
            ("sasl.username", "dashboard"),
            ("sasl.password", f"@file:{password}"),
            ("sasl.oauthbearer.client.secret", "${CLIENT_SECRET}"),
        ],
        {"CLIENT_SECRET": "s3"},
    )
    assert settings == {
        "sasl.username": "dashboard",
        "group.id": "livedata",
        "sasl.password": SECRET,
        "sasl.oauthbearer.client.secret": "s3",
    }


def test_an_unset_environment_variable_names_the_setting_and_the_variable() -> None:
    with pytest.raises(KafkaSettingsError, match=r"sasl\.password.*KAFKA_PASSWORD"):
        client_settings("", [("sasl.password", "${KAFKA_PASSWORD}")], {})


def test_secret_values_are_masked_and_scrubbed() -> None:
    settings = {
        "sasl.username": "dashboard",
        "sasl.password": SECRET,
        "ssl.key.password": "k",
        "sasl.oauthbearer.client.secret": "c",
        "sasl.jaas.config": "j",
    }
    assert masked(settings) == {
        "sasl.username": "dashboard",
        "sasl.password": "***",
        "ssl.key.password": "***",
        "sasl.oauthbearer.client.secret": "***",
        "sasl.jaas.config": "***",
    }
    assert scrub(f"bad value {SECRET!r}", settings) == "bad value '***'"


def test_an_unknown_librdkafka_property_is_refused_at_start_by_name(
    cluster: MockKafkaCluster,
) -> None:
    with pytest.raises(KafkaSettingsError, match=r'property: "no\.such\.property"'):
        KafkaSource(
            cluster.bootstrap_servers, [DATA_TOPIC], config={"no.such.property": "1"}
        )


def test_a_refused_value_of_a_secret_setting_is_not_echoed(
    cluster: MockKafkaCluster,
) -> None:
    # librdkafka quotes the value it refuses: a secret's must not reach the log.
    with pytest.raises(KafkaSettingsError) as error:
        KafkaSource(
            cluster.bootstrap_servers,
            [DATA_TOPIC],
            config={"ssl.key.password": SECRET, "security.protocol": SECRET},
        )
    assert "security.protocol" in str(error.value)
    assert SECRET not in str(error.value)


def test_a_sasl_login_the_broker_refuses_shows_on_the_status_without_the_password(
    cluster: MockKafkaCluster,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The mock broker speaks no SASL: it refuses every login, as a facility's
    # broker refuses a wrong password (with another reason in its words).
    properties = tmp_path / "client.properties"
    properties.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\n"
        "sasl.username=dashboard\nstatistics.interval.ms=200\n"
    )
    monkeypatch.setenv("KAFKA_PASSWORD", SECRET)
    options = parse_options(
        [
            "--source",
            "kafka",
            "--bootstrap-servers",
            cluster.bootstrap_servers,
            "--topics",
            DATA_TOPIC,
            "--kafka-config",
            str(properties),
            "--kafka-option",
            "sasl.password=${KAFKA_PASSWORD}",
        ]
    )
    caplog.set_level(logging.DEBUG)
    source = make_source(options)
    try:
        poll_until(lambda: "authentication failed" in source.status.description)
        assert not source.status.connected
        assert SECRET not in source.status.description
    finally:
        source.close()
    assert "sasl.password': '***'" in caplog.text
    assert SECRET not in caplog.text


def test_the_consumer_asks_for_records_as_soon_as_they_are_there(
    make_source: Callable[..., KafkaSource], monkeypatch: pytest.MonkeyPatch
) -> None:
    import confluent_kafka

    seen: list[dict[str, Any]] = []
    real = confluent_kafka.Consumer

    def recording(settings: dict[str, Any]) -> Any:
        seen.append(dict(settings))
        return real(settings)

    monkeypatch.setattr(confluent_kafka, "Consumer", recording)
    make_source()
    make_source(config={"fetch.wait.max.ms": 200})
    live, overridden = seen
    assert live["fetch.wait.max.ms"] <= 50
    assert live["fetch.min.bytes"] == 1
    assert overridden["fetch.wait.max.ms"] == 200


def test_a_security_protocol_the_broker_does_not_speak_shows_on_the_status(
    cluster: MockKafkaCluster,
) -> None:
    source = make_source(
        parse_options(
            [
                "--source",
                "kafka",
                "--bootstrap-servers",
                cluster.bootstrap_servers,
                "--topics",
                DATA_TOPIC,
                "--kafka-option",
                "security.protocol=SSL",
            ]
        )
    )
    try:
        poll_until(lambda: "SSL failure" in source.status.description)
        assert not source.status.connected
    finally:
        source.close()
