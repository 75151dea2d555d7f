"""Tests of app/sources/librdkafka_log.py: librdkafka's lines, rate-limited."""

from __future__ import annotations

import logging

import pytest

from app.sources.librdkafka_log import ThrottledLibrdkafkaLog

FORMAT = "%s [%s] %s"


def test_repeated_lines_of_one_facility_and_level_are_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="test.librdkafka")
    log = ThrottledLibrdkafkaLog(logging.getLogger("test.librdkafka"), interval_s=60)
    for attempt in range(40):
        log.log(
            logging.ERROR, FORMAT, "FAIL", "rdkafka#consumer-1", f"refused {attempt}"
        )
    log.log(logging.INFO, FORMAT, "FAIL", "rdkafka#consumer-1", "disconnected")
    log.log(logging.ERROR, FORMAT, "ERROR", "rdkafka#consumer-1", "all down")
    log.log(logging.DEBUG, FORMAT, "FETCH", "rdkafka#consumer-1", "debug asked for")
    log.log(logging.DEBUG, FORMAT, "FETCH", "rdkafka#consumer-1", "debug asked for")

    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "FAIL [rdkafka#consumer-1] refused 0",
        "FAIL [rdkafka#consumer-1] disconnected",
        "ERROR [rdkafka#consumer-1] all down",
        "FETCH [rdkafka#consumer-1] debug asked for",
        "FETCH [rdkafka#consumer-1] debug asked for",
    ]
