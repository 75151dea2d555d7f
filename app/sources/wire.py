"""Messages as they travel: the records a source reads, and the simulated
instrument's messages put into the same schemas (da00, f144).

A record is what a recording keeps and a replay reads back through the same
decoder as Kafka's, so a replay shows what the dashboard showed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.sources.codec import Decoder, encode_da00, encode_f144
from app.sources.message import Message, MessageSource, SourceInFront

DATA_TOPIC = "livedata_data"
"""Default topic of da00 data arrays (detector images, monitor spectra)."""
LOG_TOPIC = "livedata_logs"
"""Default topic of f144 log values."""
NO_PARTITION = -1
"""Partition and offset of a record that never was in Kafka."""
NO_TIMESTAMP = -1
"""Kafka timestamp of a record that has none."""


@dataclass(frozen=True)
class WireRecord:
    """One record as it arrived, before decoding.

    Parameters
    ----------
    topic, partition, offset:
        Where it was in Kafka; `NO_PARTITION` for both numbers if it never was.
    timestamp_ms:
        Kafka's timestamp in ms since the epoch; `NO_TIMESTAMP` if none.
    key:
        The Kafka key, or None.
    value:
        The payload (da00, f144, ...), as the decoder reads it.
    arrived_ns:
        When the dashboard received it, host time in ns since the epoch: what
        a replay is paced by.
    """

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    arrived_ns: int


RecordTap = Callable[[Sequence[WireRecord]], None]
"""Called with the records a source reads, in order, before they are decoded;
must return at once (it runs on the source's thread)."""


def encode(message: Message) -> tuple[str, bytes]:
    """The schema family (``'data'`` or ``'log'``) and payload of a message.

    0-D values without uncertainties are logs and go out as f144, which
    carries neither unit nor errors; everything else, a 0-D count with its
    variance among it, as da00.
    """
    if message.value.ndim == 0 and message.value.variances is None:
        return "log", encode_f144(message.key, message.value, message.timestamp)
    return "data", encode_da00(message.key, message.value, message.timestamp)


def to_record(message: Message, arrived_ns: int) -> WireRecord:
    """`message` as the producer would publish it (`DATA_TOPIC` or `LOG_TOPIC`)."""
    family, payload = encode(message)
    return WireRecord(
        topic=DATA_TOPIC if family == "data" else LOG_TOPIC,
        partition=NO_PARTITION,
        offset=NO_PARTITION,
        timestamp_ms=message.timestamp // 1_000_000,
        key=message.key.encode(),
        value=payload,
        arrived_ns=arrived_ns,
    )


class OverTheWire(SourceInFront):
    """A source whose messages pass through the wire: each is encoded as the
    producer publishes it, handed to `tap` as a record, and decoded by Kafka's
    decoder, so the dashboard applies what a replay of the record gives back.

    Parameters
    ----------
    source:
        The source whose messages are put on the wire (the simulated instrument).
    tap:
        Receives the records, oldest first.
    decoder:
        Turns payloads back into messages; Kafka's by default.
    clock:
        Host time in ns since the epoch, for `WireRecord.arrived_ns`.
    """

    def __init__(
        self,
        source: MessageSource,
        tap: RecordTap,
        *,
        decoder: Decoder | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        super().__init__(source)
        self._tap = tap
        self._decoder = decoder if decoder is not None else Decoder()
        self._clock = clock

    def get_messages(self) -> list[Message]:
        messages = self._source.get_messages()
        if not messages:
            return messages
        now = self._clock()
        records = [to_record(message, now) for message in messages]
        self._tap(records)
        return [self._decoder.decode(record.value) for record in records]
