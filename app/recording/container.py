"""The container of a recording: Arrow IPC streams of wire records (decision 098).

One file is one Arrow IPC stream: a schema, then record batches, each written
whole and flushed to the operating system. A stream that ends inside a batch
(the process was killed while writing it) reads up to its last whole batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyarrow as pa

from app.sources.wire import WireRecord

SUFFIX = ".arrows"
"""The file name ending of an Arrow IPC stream."""
FORMAT = b"livedata-dashboard recording"
VERSION = b"1"

SCHEMA = pa.schema(
    [
        pa.field("arrived_ns", pa.int64(), nullable=False),
        pa.field("topic", pa.string(), nullable=False),
        pa.field("partition", pa.int32(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
        pa.field("timestamp_ms", pa.int64(), nullable=False),
        pa.field("key", pa.binary()),
        # large_binary: a batch of detector images may pass 2 GiB.
        pa.field("value", pa.large_binary(), nullable=False),
    ],
    metadata={b"format": FORMAT, b"version": VERSION},
)
"""A record as it arrived; see `app.sources.wire.WireRecord` for the fields."""


def to_batch(records: Sequence[WireRecord]) -> pa.RecordBatch:
    """`records` as one record batch of `SCHEMA`."""
    return pa.RecordBatch.from_arrays(
        [
            pa.array([r.arrived_ns for r in records], pa.int64()),
            pa.array([r.topic for r in records], pa.string()),
            pa.array([r.partition for r in records], pa.int32()),
            pa.array([r.offset for r in records], pa.int64()),
            pa.array([r.timestamp_ms for r in records], pa.int64()),
            pa.array([r.key for r in records], pa.binary()),
            pa.array([r.value for r in records], pa.large_binary()),
        ],
        schema=SCHEMA,
    )


def from_batch(batch: pa.RecordBatch) -> Iterator[WireRecord]:
    """The records of one batch, in order."""
    columns = [batch.column(name).to_pylist() for name in SCHEMA.names]
    for arrived, topic, partition, offset, timestamp, key, value in zip(
        *columns, strict=True
    ):
        yield WireRecord(
            topic=topic,
            partition=partition,
            offset=offset,
            timestamp_ms=timestamp,
            key=key,
            value=value,
            arrived_ns=arrived,
        )


def payload_bytes(records: Sequence[WireRecord]) -> int:
    """Bytes the records take in a batch, roughly: payloads and keys."""
    return sum(len(r.value) + len(r.key or b"") + 40 for r in records)
