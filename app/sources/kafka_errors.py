"""What a librdkafka error means for the operator: the status line's words.

librdkafka reports a missing topic, a refused certificate and a broker that
restarts through the same `KafkaError` type; the status line must tell them
apart and never say "connected" while nothing can arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from confluent_kafka import KafkaError


class ErrorKind(Enum):
    """How an error affects whether data can arrive."""

    FATAL = "fatal"
    """The client is unusable until the dashboard restarts."""
    AUTHENTICATION = "authentication"
    """SSL, SASL or authorisation refused: nothing arrives until fixed."""
    UNREACHABLE = "unreachable"
    """No broker answers; the client reconnects by itself."""
    TOPIC = "topic"
    """One topic cannot be read (missing or not authorised)."""
    TRANSIENT = "transient"
    """Anything the client retries by itself (a dropped connection, a timeout)."""


@dataclass(frozen=True)
class ClassifiedError:
    """An error's kind and the words the status line shows for it.

    Parameters
    ----------
    kind:
        How it affects whether data can arrive.
    description:
        Its words on the status line.
    topic:
        The topic it concerns, for `ErrorKind.TOPIC`.
    """

    kind: ErrorKind
    description: str
    topic: str | None = None


_UNREACHABLE = frozenset({KafkaError._ALL_BROKERS_DOWN, KafkaError._RESOLVE})
_MISSING_TOPIC = frozenset(
    {
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError._UNKNOWN_TOPIC,
        KafkaError._UNKNOWN_PARTITION,
    }
)
_SSL = frozenset({KafkaError._SSL})
_TIMING = re.compile(r" ?\(after \d+ms in state \w+\)")
_SSL_HANDSHAKE = "SSL handshake failed"
"""librdkafka's words for a connection whose SSL handshake failed, which it
reports as a transport error, like a broker that is down."""
_AUTHENTICATION = frozenset(
    {
        KafkaError._AUTHENTICATION,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError.ILLEGAL_SASL_STATE,
        KafkaError.UNSUPPORTED_SASL_MECHANISM,
    }
)
_NOT_AUTHORISED = frozenset(
    {
        KafkaError.GROUP_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    }
)


def classify(error: KafkaError, topic: str | None = None) -> ClassifiedError:
    """The kind of `error` and its words for the status line.

    Parameters
    ----------
    error:
        As given to ``error_cb`` or carried by a consumed record.
    topic:
        The topic of the record that carried the error, if any.
    """
    code = error.code()
    # Without librdkafka's timing suffix, one cause keeps the same words.
    detail = _TIMING.sub("", error.str())
    if error.fatal() or code == KafkaError._FATAL:
        return ClassifiedError(ErrorKind.FATAL, f"fatal error: {detail}")
    if code in _SSL or (code == KafkaError._TRANSPORT and _SSL_HANDSHAKE in detail):
        # A failed handshake (a broker that does not speak SSL, a certificate
        # refused) comes as a transport error; no retry mends it.
        return ClassifiedError(ErrorKind.AUTHENTICATION, f"SSL failure: {detail}")
    if code in _AUTHENTICATION:
        return ClassifiedError(
            ErrorKind.AUTHENTICATION, f"authentication failed: {detail}"
        )
    if code in _NOT_AUTHORISED:
        return ClassifiedError(ErrorKind.AUTHENTICATION, f"not authorised: {detail}")
    if code == KafkaError.TOPIC_AUTHORIZATION_FAILED:
        if topic is None:
            return ClassifiedError(
                ErrorKind.AUTHENTICATION, f"not authorised: {detail}"
            )
        return ClassifiedError(
            ErrorKind.TOPIC, f"not authorised to read topic {topic!r}", topic
        )
    if code in _MISSING_TOPIC and topic is not None:
        return ClassifiedError(
            ErrorKind.TOPIC, f"topic {topic!r} does not exist", topic
        )
    if code in _UNREACHABLE:
        return ClassifiedError(ErrorKind.UNREACHABLE, "broker unreachable")
    return ClassifiedError(ErrorKind.TRANSIENT, f"{error.name()}: {detail}")
