"""Tests of app/sources/flatbuffer_table.py on library-made and hand-made payloads."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from streaming_data_types.dataarray_da00 import Variable, serialise_da00

from app.sources.flatbuffer_table import FlatBufferError, Table

T = 1_700_000_000_123_456_789
BYTES = np.dtype(np.uint8)


def one_vector_table(soffset: int, length: int, data: bytes) -> bytes:
    """Root at 12, vtable at 4 (one field, at table offset 4), vector at 20."""
    return (
        struct.pack("<I", 12)  # root table position
        + struct.pack("<HHH", 6, 8, 4)  # vtable: its size, table size, field 0
        + b"\x00\x00"
        + struct.pack("<i", soffset)  # table: back to its vtable
        + struct.pack("<I", 4)  # field 0: the vector, 4 bytes on
        + struct.pack("<I", length)
        + data
    )


def test_reads_the_fields_of_a_library_made_da00_payload() -> None:
    payload = serialise_da00(
        source_name="monitor/m1",
        timestamp_ns=T,
        data=[Variable(name="signal", data=np.arange(3.0), axes=["tof"], unit="us")],
    )
    root = Table.root(payload)

    [variable] = root.tables(8)

    assert root.string(4) == "monitor/m1"
    assert root.scalar(6, struct.Struct("<q")) == T
    assert variable.string(4) == "signal"
    assert variable.string(6) == "us"
    assert variable.string(8) is None  # label: absent
    assert variable.strings(14) == ["tof"]
    assert variable.array(16, np.dtype("<i8")).tolist() == [3]
    assert variable.array(18, BYTES).view(np.float64).tolist() == [0.0, 1.0, 2.0]


def test_vector_is_a_read_only_view_of_the_payload() -> None:
    payload = one_vector_table(8, 3, b"abc")
    values = Table.root(payload).array(4, BYTES)
    assert values.tobytes() == b"abc"
    assert np.shares_memory(values, np.frombuffer(payload, dtype=BYTES))
    assert not values.flags.writeable


def test_absent_fields_give_the_schema_defaults() -> None:
    table = Table.root(one_vector_table(8, 0, b""))
    assert table.scalar(6, struct.Struct("<q"), 7) == 7
    assert table.number(6, np.dtype(np.float32)) == 0.0
    assert table.string(6) is None
    assert table.table(6) is None
    assert table.tables(6) == []
    assert table.array(6, BYTES).size == 0


def test_vtable_before_the_payload_start_raises_instead_of_reading_its_end() -> None:
    # struct would read a negative position from the end of the payload.
    with pytest.raises(FlatBufferError, match="vtable"):
        Table.root(one_vector_table(100, 3, b"abc"))


def test_vector_longer_than_the_payload_raises() -> None:
    table = Table.root(one_vector_table(8, 1000, b"abc"))
    with pytest.raises(FlatBufferError, match="overruns"):
        table.array(4, BYTES)
    with pytest.raises(FlatBufferError, match="overruns"):
        table.string(4)


def test_vector_of_offsets_longer_than_the_payload_raises_before_reading_them() -> None:
    table = Table.root(one_vector_table(8, 2**31, b"abcd"))
    with pytest.raises(FlatBufferError, match="overruns"):
        table.strings(4)
