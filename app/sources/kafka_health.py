"""KafkaHealth: what the Kafka consumer has learnt about whether data can arrive.

Errors, broker statistics, assignments and records each say something; the
status line shows the most severe thing that is still true, and "connected"
only when nothing stands in the way (`docs/decisions/032-status-tells-the-truth.md`).
A missing topic while another is read impairs the source without taking it
down (decision 076).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.sources.kafka_errors import ClassifiedError, ErrorKind


class KafkaHealth:
    """The consumer's state in the operator's words; not thread-safe by itself."""

    def __init__(self) -> None:
        self._fatal: str | None = None
        self._refused: str | None = None
        self._reachable: bool | None = None
        self._topic_problems: dict[str, str] = {}
        self._readable: set[str] = set()
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
            self._readable.discard(error.topic)

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
            self._readable.add(topic)

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
            # Data of the topics that are read still arrives (decision 076).
            return bool(self._readable), self._topic_words()
        if self._reachable:
            return True, "connected"
        return False, "connecting"

    def impairment(self) -> str:
        """What keeps part of the data away while the rest arrives, or ""."""
        connected, _ = self.state()
        return self._topic_words() if connected and self._topic_problems else ""

    def _topic_words(self) -> str:
        return ", ".join(sorted(self._topic_problems.values()))
