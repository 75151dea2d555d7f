"""KafkaHealth: what the Kafka consumer has learnt about whether data can arrive.

Errors, broker statistics, assignments and records each say something; the
status line shows the most severe thing that is still true, and "connected"
only when nothing stands in the way (`docs/decisions/032-status-tells-the-truth.md`).
"""

from __future__ import annotations

from collections.abc import Iterable

from .kafka_errors import ClassifiedError, ErrorKind


class KafkaHealth:
    """The consumer's state in the operator's words; not thread-safe by itself."""

    def __init__(self) -> None:
        self._fatal: str | None = None
        self._refused: str | None = None
        self._reachable: bool | None = None
        self._topic_problems: dict[str, str] = {}
        self._closed = False

    def error(self, error: ClassifiedError) -> None:
        """Take in an error from ``error_cb`` or from a consumed record."""
        if error.kind is ErrorKind.FATAL:
            self._fatal = error.description  # for good: the client is unusable
        elif error.kind is ErrorKind.AUTHENTICATION:
            self._refused = error.description
        elif error.kind is ErrorKind.UNREACHABLE:
            self._reachable = False
        elif error.kind is ErrorKind.TOPIC and error.topic is not None:
            self._topic_problems[error.topic] = error.description

    def brokers_seen(self, reachable: bool) -> None:
        """Take in librdkafka's statistics: whether any broker connection is up."""
        self._reachable = reachable
        if reachable:
            # A broker let us in: credentials and certificates are fine.
            self._refused = None

    def assigned(self, topics: Iterable[str]) -> None:
        """Partitions of `topics` were assigned: they exist and may be read."""
        for topic in topics:
            self._topic_problems.pop(topic, None)

    def records_arrived(self, topics: Iterable[str]) -> None:
        """Records of `topics` arrived: a broker answers and lets us read them."""
        self.brokers_seen(True)
        self.assigned(topics)

    def closed(self) -> None:
        """The source was closed."""
        self._closed = True

    def state(self) -> tuple[bool, str]:
        """Whether data can arrive, and the words for it (most severe first)."""
        if self._closed:
            return False, "closed"
        if self._fatal is not None:
            return False, self._fatal
        if self._refused is not None:
            return False, self._refused
        if self._reachable is False:
            return False, "broker unreachable"
        if self._topic_problems:
            return False, ", ".join(sorted(self._topic_problems.values()))
        if self._reachable:
            return True, "connected"
        return False, "connecting"
