"""librdkafka's own log lines, rate-limited per facility and level.

During a broker outage librdkafka logs every reconnect attempt (about 20 lines
a second); the operator needs one line that says so and how often.
"""

from __future__ import annotations

import logging

from app.sources.throttled_log import DEFAULT_INTERVAL_S, ThrottledLog


class ThrottledLibrdkafkaLog:
    """A ``logger`` for confluent-kafka's config: one line per (facility, level).

    confluent-kafka calls ``log(level, "%s [%s] %s", facility, client, text)``;
    lines below INFO (librdkafka's ``debug`` contexts, asked for explicitly)
    pass unthrottled.

    Parameters
    ----------
    logger:
        Where the lines go.
    interval_s:
        Shortest time between two lines of one facility and level.
    """

    def __init__(
        self, logger: logging.Logger, interval_s: float = DEFAULT_INTERVAL_S
    ) -> None:
        self._logger = logger
        self._throttled = ThrottledLog(logger, interval_s)

    def log(self, level: int, message: str, *args: object) -> None:
        """Log one librdkafka line unless its kind was logged within the interval."""
        if level < logging.INFO:
            self._logger.log(level, message, *args)
            return
        facility = args[0] if args else message
        self._throttled.log(level, (facility, level), message, *args)
