"""Read fields of FlatBuffers tables straight from payload bytes, bounds-checked.

The generated Python accessors of the schemas cost about a microsecond per field
(several generic lookups each), which made them most of the decode time. This
reader does the same lookups with one `struct` call each and hands vectors out
as numpy views of the payload (no copy). Every position is checked against the
payload, so garbage raises (`FlatBufferError`, or `struct.error` for a read past
the end) instead of reading elsewhere.

Layout (https://flatbuffers.dev/internals/): a table starts with a signed
offset back to its vtable; the vtable lists, per field, the field's offset in
the table (0: absent). Strings and vectors are reached through an unsigned
offset and start with their length.
"""

from __future__ import annotations

import struct
from functools import lru_cache

import numpy as np

_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_UOFFSET_SIZE = 4


@lru_cache(maxsize=64)
def _layout(length: int, code: str) -> struct.Struct:
    return struct.Struct(f"<{length}{code}")


class FlatBufferError(ValueError):
    """A position or length that points outside the payload."""


class Table:
    """One table of a FlatBuffers payload.

    Fields are addressed by their vtable offset, as the generated code does:
    ``4 + 2 * i`` for the schema's i-th field.

    Parameters
    ----------
    buffer:
        The whole payload.
    position:
        Where the table starts in `buffer`.
    """

    __slots__ = ("_buffer", "_end", "_position", "_vtable", "_vtable_size")

    def __init__(self, buffer: bytes, position: int) -> None:
        self._buffer = buffer
        self._end = len(buffer)
        self._position = position
        vtable = position - _I32.unpack_from(buffer, position)[0]
        # struct counts negative positions from the end; FlatBuffers has none.
        # Every other position is this table's plus an unsigned offset.
        if position < 0 or vtable < 0:
            raise FlatBufferError(f"table at {position} has its vtable at {vtable}")
        self._vtable = vtable
        self._vtable_size = _U16.unpack_from(buffer, vtable)[0]

    @classmethod
    def root(cls, buffer: bytes) -> Table:
        """The root table of a payload."""
        return cls(buffer, _U32.unpack_from(buffer, 0)[0])

    def scalar(
        self, field: int, layout: struct.Struct, default: int | float = 0
    ) -> int | float:
        """A scalar field (`layout` one value, e.g. ``struct.Struct('<q')``)."""
        at = self._field(field)
        return default if at == 0 else layout.unpack_from(self._buffer, at)[0]

    def number(self, field: int, dtype: np.dtype) -> np.ndarray:
        """A scalar field as a 0-D view of the payload (0 if absent, the default)."""
        at = self._field(field)
        if at == 0:
            return np.zeros((), dtype=dtype)
        if at + dtype.itemsize > self._end:
            raise FlatBufferError(
                f"{dtype} at {at} overruns the {self._end}-byte payload"
            )
        return np.frombuffer(self._buffer, dtype=dtype, count=1, offset=at).reshape(())

    def string(self, field: int) -> str | None:
        """A string field, decoded as UTF-8; None if absent."""
        at = self._field(field)
        return None if at == 0 else self._string_at(at)

    def array(self, field: int, dtype: np.dtype) -> np.ndarray:
        """A vector of numbers as a read-only view of the payload (empty if absent)."""
        at = self._field(field)
        if at == 0:
            return np.empty(0, dtype=dtype)
        start, length = self._vector_at(at, dtype.itemsize)
        return np.frombuffer(self._buffer, dtype=dtype, count=length, offset=start)

    def bytes_as(self, field: int, dtype: np.dtype) -> np.ndarray:
        """A vector of bytes that holds numbers of `dtype`, as a view (see `array`)."""
        at = self._field(field)
        if at == 0:
            return np.empty(0, dtype=dtype)
        start, length = self._vector_at(at, 1)
        if length % dtype.itemsize:
            raise FlatBufferError(f"{length} bytes are no whole number of {dtype}")
        count = length // dtype.itemsize
        return np.frombuffer(self._buffer, dtype=dtype, count=count, offset=start)

    def numbers(self, field: int, code: str) -> tuple:
        """A (short) vector of numbers as a tuple; `code` is its `struct` format
        character, e.g. ``'q'`` (empty if absent)."""
        at = self._field(field)
        if at == 0:
            return ()
        start, length = self._vector_at(at, struct.calcsize("<" + code))
        return _layout(length, code).unpack_from(self._buffer, start)

    def table(self, field: int) -> Table | None:
        """A table field; None if absent."""
        at = self._field(field)
        return None if at == 0 else Table(self._buffer, self._indirect(at))

    def tables(self, field: int) -> list[Table]:
        """A vector of tables (empty if absent)."""
        return [Table(self._buffer, at) for at in self._offsets(field)]

    def strings(self, field: int) -> list[str]:
        """A vector of strings (empty if absent)."""
        return [self._string_at_target(at) for at in self._offsets(field)]

    def _field(self, field: int) -> int:
        """Absolute position of a field, 0 if the table does not have it."""
        if field >= self._vtable_size:
            return 0
        relative = _U16.unpack_from(self._buffer, self._vtable + field)[0]
        return 0 if relative == 0 else self._position + relative

    def _offsets(self, field: int) -> list[int]:
        """Targets of a vector of offsets (tables or strings)."""
        at = self._field(field)
        if at == 0:
            return []
        start, length = self._vector_at(at, _UOFFSET_SIZE)
        offsets = _layout(length, "I").unpack_from(self._buffer, start)
        return [start + _UOFFSET_SIZE * i + offset for i, offset in enumerate(offsets)]

    def _indirect(self, at: int) -> int:
        return at + _U32.unpack_from(self._buffer, at)[0]

    def _vector_at(self, at: int, itemsize: int) -> tuple[int, int]:
        """Start and length of the vector that the offset at `at` points to."""
        start = self._indirect(at)
        length = _U32.unpack_from(self._buffer, start)[0]
        start += _UOFFSET_SIZE
        if start + length * itemsize > self._end:
            raise FlatBufferError(
                f"vector of {length} x {itemsize} bytes at {start} "
                f"overruns the {self._end}-byte payload"
            )
        return start, length

    def _string_at(self, at: int) -> str:
        return self._string_at_target(self._indirect(at))

    def _string_at_target(self, start: int) -> str:
        length = _U32.unpack_from(self._buffer, start)[0]
        start += _UOFFSET_SIZE
        if start + length > self._end:
            raise FlatBufferError(
                f"string of {length} bytes at {start} "
                f"overruns the {self._end}-byte payload"
            )
        return str(self._buffer[start : start + length], "utf-8")
