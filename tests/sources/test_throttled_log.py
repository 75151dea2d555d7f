import logging

import pytest

from app.sources.throttled_log import ThrottledLog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_one_line_per_topic_per_interval_with_the_count_of_the_rest(caplog, clock):
    log = ThrottledLog(logging.getLogger("throttled"), 10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="throttled"):
        for _ in range(10_000):
            log.warning("malformed", "skipped a record: %s", "bad")
        clock.now = 10.0
        log.warning("malformed", "skipped a record: %s", "bad")
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "skipped a record: bad",
        "skipped a record: bad (and 9999 more like it in the last 10 s)",
    ]


def test_topics_are_throttled_apart(caplog, clock):
    log = ThrottledLog(logging.getLogger("throttled"), 10.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="throttled"):
        assert log.warning("a", "first a")
        assert log.warning("b", "first b")
        assert not log.warning("a", "second a")
    assert [record.getMessage() for record in caplog.records] == ["first a", "first b"]
