"""The facility's FlatBuffers schemas (da00, f144) to and from scipp messages.

Decoding reads the payload's tables directly (`flatbuffer_table`) and copies
each array once, from the payload into the scipp variable, converting to the
scipp dtype that holds the wire dtype's values exactly
(`docs/decisions/020-wire-dtypes-to-scipp.md`).
"""

from __future__ import annotations

import math
import struct
from collections import OrderedDict
from collections.abc import Callable, Mapping
from functools import lru_cache, partial
from typing import Any

import numpy as np
import scipp as sc
from streaming_data_types.dataarray_da00 import Variable, serialise_da00
from streaming_data_types.fbschemas.dataarray_da00.da00_dtype import da00_dtype
from streaming_data_types.fbschemas.logdata_f144.Value import Value
from streaming_data_types.logdata_f144 import serialise_f144

from app.sources.flatbuffer_table import Table
from app.sources.message import TIME_DIM, Message
from app.sources.reasons import Reason

DA00 = "da00"
F144 = "f144"
SIGNAL = "signal"
ERRORS = "errors"
MASK_LABEL = "mask"
"""The label of a da00 variable that is a mask, not a coord (decision 045):
da00 has no bool dtype, so a mask travels as integers, non-zero where masked."""
F144_ARRAY_DIM = "index"
"""Dim of a 1-D f144 value (the schema names none)."""

# Fields by vtable offset (4 + 2 * index in the schema), as in the generated code.
_DA00_SOURCE_NAME, _DA00_TIMESTAMP, _DA00_DATA = 4, 6, 8
_VARIABLE_NAME, _VARIABLE_UNIT, _VARIABLE_LABEL, _VARIABLE_DATA_TYPE = 4, 6, 8, 12
_VARIABLE_AXES, _VARIABLE_SHAPE, _VARIABLE_DATA = 14, 16, 18
_F144_SOURCE_NAME, _F144_TIMESTAMP, _F144_VALUE_TYPE, _F144_VALUE = 4, 6, 8, 10
_F144_VALUE_FIELD = 4
_INT8 = struct.Struct("<b")
_INT64 = struct.Struct("<q")
_UINT8 = struct.Struct("<B")
_BYTES = np.dtype(np.uint8)

_WIRE_NAMES = (
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
)
"""The numeric dtypes both schemas carry, in the order of both schemas' enums."""
_DA00_DTYPES = {getattr(da00_dtype, name): np.dtype(name) for name in _WIRE_NAMES}
_F144_SCALARS = {Value.Byte + i: np.dtype(name) for i, name in enumerate(_WIRE_NAMES)}
_F144_ARRAYS = {
    Value.ArrayByte + i: np.dtype(name) for i, name in enumerate(_WIRE_NAMES)
}

_INT64_MAX = np.iinfo(np.int64).max
_FLOAT64_EXACT_INT = 2**53
"""Integers up to this magnitude are exact in float64."""


def _dtype_table(
    wire_to_scipp: Mapping[str, tuple[sc.DType, int | None]],
) -> dict[np.dtype, tuple[sc.DType, int | None]]:
    return {np.dtype(name): target for name, target in wire_to_scipp.items()}


_SCIPP_DTYPES = _dtype_table(
    {
        "int8": (sc.DType.int32, None),
        "uint8": (sc.DType.int32, None),
        "int16": (sc.DType.int32, None),
        "uint16": (sc.DType.int32, None),
        "int32": (sc.DType.int32, None),
        "uint32": (sc.DType.int64, None),
        "int64": (sc.DType.int64, None),
        "uint64": (sc.DType.int64, _INT64_MAX),
        "float32": (sc.DType.float32, None),
        "float64": (sc.DType.float64, None),
    }
)
"""Scipp dtype of each wire dtype, and the largest magnitude it holds exactly
(None: every value of the wire dtype)."""
_SCIPP_DTYPES_WITH_VARIANCES = _dtype_table(
    {
        "int8": (sc.DType.float64, None),
        "uint8": (sc.DType.float64, None),
        "int16": (sc.DType.float64, None),
        "uint16": (sc.DType.float64, None),
        "int32": (sc.DType.float64, None),
        "uint32": (sc.DType.float64, None),
        "int64": (sc.DType.float64, _FLOAT64_EXACT_INT),
        "uint64": (sc.DType.float64, _FLOAT64_EXACT_INT),
        "float32": (sc.DType.float32, None),
        "float64": (sc.DType.float64, None),
    }
)
"""The same for a signal with errors: variances need a float dtype."""

# The ASCII spellings scipp parses back, for consumers that are not scipp.
_ASCII_UNITS = {"µ": "u", "Å": "angstrom"}


class DecodeError(ValueError):
    """A payload that cannot become a message.

    `reason` is the counter it is counted under (one of the fixed `Reason`s);
    the message says which key and what did not fit, for the log.
    """

    reason: Reason = Reason.FAILED_TO_DECODE


class NotAMessageError(DecodeError):
    """A record too short to carry a FlatBuffers schema id (or no bytes at all)."""

    reason = Reason.NOT_A_MESSAGE


class UnknownSchemaError(DecodeError):
    """A payload of a schema this dashboard does not read."""

    reason = Reason.UNKNOWN_SCHEMA

    def __init__(self, schema_id: str) -> None:
        super().__init__(f"unknown schema {schema_id!r}")
        self.schema_id = schema_id


_MALFORMED = {DA00: Reason.MALFORMED_DA00, F144: Reason.MALFORMED_F144}


class MalformedPayloadError(DecodeError):
    """A payload of a known schema whose content does not parse or fit."""

    def __init__(self, schema_id: str, detail: str) -> None:
        super().__init__(f"malformed {schema_id}: {detail}")
        self.schema_id = schema_id
        self.reason = _MALFORMED[schema_id]


class UnsupportedDtypeError(DecodeError):
    """Values that no scipp dtype holds exactly (e.g. uint64 beyond int64)."""

    reason = Reason.UNSUPPORTED_DTYPE


class InvalidKeyError(DecodeError):
    """A payload without a source name to file its value under."""

    reason = Reason.INVALID_KEY


def schema_id(payload: bytes) -> str:
    """The 4-character FlatBuffers file identifier of a payload."""
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise NotAMessageError(f"a record of {type(payload).__name__}, not bytes")
    if len(payload) < 8:
        raise NotAMessageError(f"{len(payload)} bytes, too short for a schema id")
    try:
        return str(payload[4:8], "ascii")
    except UnicodeDecodeError:
        raise UnknownSchemaError(repr(bytes(payload[4:8]))) from None


@lru_cache(maxsize=256)
def _unit(text: str | None) -> sc.Unit | None:
    """The parsed unit; parsing costs more than the rest of a small variable."""
    return None if text is None else sc.Unit(text)


_NS = sc.Unit("ns")


class Decoder:
    """Turns da00 and f144 payloads into messages with scipp values.

    Parameters
    ----------
    log_units:
        Units of f144 sources by source name; f144 carries no unit, so others
        are dimensionless.

    Raises
    ------
    ValueError
        If a unit of `log_units` is not one scipp knows.
    """

    def __init__(self, log_units: Mapping[str, str] | None = None) -> None:
        self._log_units: dict[str, sc.Unit] = {}
        for key, unit in (log_units or {}).items():
            try:
                self._log_units[key] = sc.Unit(unit)
            except Exception as error:
                raise ValueError(f"key {key!r}: unit {unit!r}: {error}") from error
        self._dimensionless = sc.units.dimensionless
        self._coords = CoordCache()

    def decode(self, payload: bytes) -> Message:
        """The message in `payload`.

        Raises
        ------
        DecodeError
            Whatever goes wrong, as one of its subclasses; nothing else.
        """
        schema = schema_id(payload)
        if schema == DA00:
            read = self._decode_da00
        elif schema == F144:
            read = self._decode_f144
        else:
            raise UnknownSchemaError(schema)
        try:
            return read(payload)
        except DecodeError:
            raise
        except Exception as error:  # garbage makes the reader raise anything
            raise MalformedPayloadError(
                schema, f"does not parse ({error!r})"
            ) from error

    def _decode_da00(self, payload: bytes) -> Message:
        return _decode_da00(payload, self._coords)

    def _decode_f144(self, payload: bytes) -> Message:
        root = Table.root(payload)
        key = _key(F144, root.string(_F144_SOURCE_NAME))
        timestamp = root.scalar(_F144_TIMESTAMP, _INT64)
        value_type = root.scalar(_F144_VALUE_TYPE, _UINT8)
        value = root.table(_F144_VALUE)
        if value is None:
            raise MalformedPayloadError(F144, f"key {key!r}: no value")
        if value_type in _F144_ARRAYS:
            dims: tuple[str, ...] = (F144_ARRAY_DIM,)
            wire = value.array(_F144_VALUE_FIELD, _F144_ARRAYS[value_type])
        elif value_type in _F144_SCALARS:
            dims = ()
            wire = value.number(_F144_VALUE_FIELD, _F144_SCALARS[value_type])
        else:
            raise MalformedPayloadError(
                F144, f"key {key!r}: unknown value type {value_type}"
            )
        unit = self._log_units.get(key, self._dimensionless)
        try:
            data = _variable(F144, key, "value", dims, wire, unit)
        except DecodeError:
            raise
        except Exception as error:
            raise MalformedPayloadError(F144, f"key {key!r}: {error}") from error
        value = sc.DataArray(data, coords={TIME_DIM: _time_coord(timestamp)})
        return Message(key=key, value=value, timestamp=timestamp)


def _key(schema: str, source_name: str | None) -> str:
    if not source_name:
        raise InvalidKeyError(f"{schema} payload without a source name")
    return source_name


def _time_coord(timestamp: int) -> sc.Variable:
    return sc.datetime(timestamp, unit=_NS)


class CoordCache:
    """The coords decoded last per (key, name), handed out again while unchanged.

    A source sends the same bin edges with every frame. Handing out the same
    Variable again saves building it, and lets the data service recognise it
    by its memory instead of comparing values (decision 023); nobody changes
    a value once handed over (decision 001). Bounded: the least recently used
    entries go beyond `max_entries`.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._max_entries = max_entries
        # (key, name) -> ((dims, unit, wire dtype, shape), wire bytes, coord)
        self._entries: OrderedDict[tuple[str, str], tuple[Any, ...]] = OrderedDict()

    def coord(
        self,
        key: str,
        name: str,
        dims: tuple[str, ...],
        values: np.ndarray,
        unit: Any,
        make: Callable[[], sc.Variable],
    ) -> sc.Variable:
        """The coord last decoded for (key, name) if these are its very bytes,
        else the one `make` builds, remembered for the next message."""
        raw = values.tobytes()
        layout = (dims, unit, values.dtype, values.shape)
        entry = self._entries.get((key, name))
        if entry is not None and entry[0] == layout and entry[1] == raw:
            self._entries.move_to_end((key, name))
            return entry[2]
        variable = make()
        self._entries[(key, name)] = (layout, raw, variable)
        self._entries.move_to_end((key, name))
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return variable


def _decode_da00(payload: bytes, coord_cache: CoordCache) -> Message:
    root = Table.root(payload)
    key = _key(DA00, root.string(_DA00_SOURCE_NAME))
    timestamp = root.scalar(_DA00_TIMESTAMP, _INT64)
    try:
        value = _data_array(
            key, root.tables(_DA00_DATA), _time_coord(timestamp), coord_cache
        )
    except DecodeError:
        raise
    except Exception as error:
        raise MalformedPayloadError(DA00, f"key {key!r}: {error}") from error
    return Message(key=key, value=value, timestamp=timestamp)


def _data_array(
    key: str,
    tables: list[Table],
    time: sc.Variable,
    coord_cache: CoordCache,
) -> sc.DataArray:
    fields = {}
    for table in tables:
        name = table.string(_VARIABLE_NAME)
        if name is None:
            raise ValueError("a variable without a name")
        fields[name] = table
    signal = fields.pop(SIGNAL, None)
    if signal is None:
        raise MalformedPayloadError(
            DA00, f"key {key!r}: no variable {SIGNAL!r}, got {list(fields)}"
        )
    errors = fields.pop(ERRORS, None)
    dims, values, unit = _read_variable(key, SIGNAL, signal)
    if errors is None:
        data = _variable(DA00, key, SIGNAL, dims, values, unit)
    else:
        error_dims, stddevs, _ = _read_variable(key, ERRORS, errors)
        if error_dims != dims or stddevs.shape != values.shape:
            raise ValueError(
                f"errors have dims {error_dims} shape {stddevs.shape}, "
                f"signal has {dims} shape {values.shape}"
            )
        data = _variable(DA00, key, SIGNAL, dims, values, unit, stddevs=stddevs)
    coords = {}
    masks = {}
    for name, table in fields.items():
        if table.string(_VARIABLE_LABEL) == MASK_LABEL:
            masks[name] = _mask(key, name, table, dims, values.shape)
            continue
        coord_dims, coord_values, coord_unit = _read_variable(key, name, table)
        if isinstance(coord_values, str):
            coords[name] = sc.scalar(coord_values, unit=None)
            continue
        coords[name] = coord_cache.coord(
            key,
            name,
            coord_dims,
            coord_values,
            coord_unit,
            partial(_variable, DA00, key, name, coord_dims, coord_values, coord_unit),
        )
    # The payload's timestamp wins over a variable of the same name.
    coords[TIME_DIM] = time
    return sc.DataArray(data, coords=coords, masks=masks)


def _mask(
    key: str,
    name: str,
    table: Table,
    data_dims: tuple[str, ...],
    data_shape: tuple[int, ...],
) -> sc.Variable:
    """A mask variable: True where its integers are non-zero.

    Its dims must be some of the signal's, in any order, each of the
    signal's length: a mask hides values of the signal, nothing else.
    """
    dims, values, _ = _read_variable(key, name, table)
    if isinstance(values, str):
        raise ValueError(f"mask {name!r}: a string, not integers")
    sizes = dict(zip(data_dims, data_shape, strict=True))
    if any(
        sizes.get(dim) != length for dim, length in zip(dims, values.shape, strict=True)
    ):
        raise ValueError(
            f"mask {name!r} of dims {dims} shape {values.shape} does not fit "
            f"the signal's dims {data_dims} shape {data_shape}"
        )
    return sc.array(dims=list(dims), values=values != 0)


def _read_variable(
    key: str, name: str, table: Table
) -> tuple[tuple[str, ...], np.ndarray | str, sc.Unit | None]:
    """Dims, values (a view of the payload, or a str) and unit of a variable."""
    dims = tuple(table.strings(_VARIABLE_AXES))
    code = table.scalar(_VARIABLE_DATA_TYPE, _INT8)
    if code == da00_dtype.c_string:
        if dims:
            raise ValueError(f"variable {name!r}: a string with axes {dims}")
        return dims, str(table.bytes_as(_VARIABLE_DATA, _BYTES), "utf-8"), None
    if code not in _DA00_DTYPES:
        raise ValueError(f"variable {name!r}: unknown da00 dtype {code}")
    values = table.bytes_as(_VARIABLE_DATA, _DA00_DTYPES[code])
    unit = _unit(table.string(_VARIABLE_UNIT))
    if not dims:
        # The schema's shape of a scalar is that of its bytes: not read.
        if values.size != 1:
            raise ValueError(f"variable {name!r}: {values.size} values, no axes")
        return dims, values.reshape(()), unit
    shape = table.numbers(_VARIABLE_SHAPE, "q")
    if len(shape) != len(dims) or min(shape) < 0 or math.prod(shape) != values.size:
        raise ValueError(
            f"variable {name!r}: {values.size} values do not fill "
            f"axes {dims} of shape {shape}"
        )
    return dims, values.reshape(shape), unit


def _variable(
    schema: str,
    key: str,
    name: str,
    dims: tuple[str, ...],
    values: np.ndarray | str,
    unit: sc.Unit | None,
    *,
    stddevs: np.ndarray | str | None = None,
) -> sc.Variable:
    """A scipp variable holding `values` exactly: the only copy of the payload."""
    if isinstance(values, str) or isinstance(stddevs, str):
        raise ValueError(f"variable {name!r}: a string where numbers belong")
    table = _SCIPP_DTYPES if stddevs is None else _SCIPP_DTYPES_WITH_VARIANCES
    dtype, limit = table[values.dtype]
    if limit is not None and values.size:
        low, high = values.min(), values.max()
        if high > limit or low < -limit:
            raise UnsupportedDtypeError(
                f"{schema} key {key!r}: variable {name!r} of {values.dtype} "
                f"holds values from {low} to {high}, beyond ±{limit}: "
                f"not exact in {dtype}"
            )
    variable = sc.empty(
        dims=dims,
        shape=values.shape,
        dtype=dtype,
        unit=unit,
        with_variances=stddevs is not None,
    )
    # unsafe: the table picks a dtype that holds every value (checked above).
    np.copyto(variable.values, values, casting="unsafe")
    if stddevs is not None:
        variances = variable.variances
        np.square(stddevs, out=variances, dtype=variances.dtype)
    return variable


def _unit_string(unit: sc.Unit | None) -> str | None:
    if unit is None:
        return None
    text = str(unit)
    for symbol, ascii_spelling in _ASCII_UNITS.items():
        text = text.replace(symbol, ascii_spelling)
    return text


def _to_da00_variable(key: str, name: str, variable: sc.Variable) -> Variable:
    if variable.dtype == sc.DType.bool:
        # da00 has no bool: a mask travels as uint8 under its label.
        return Variable(
            name=name,
            data=np.ascontiguousarray(variable.values, dtype=np.uint8),
            axes=list(variable.dims),
            label=MASK_LABEL,
        )
    if variable.dtype in (sc.DType.datetime64, sc.DType.string):
        raise ValueError(f"key {key!r}: da00 cannot carry {variable.dtype} {name!r}")
    return Variable(
        name=name,
        data=np.ascontiguousarray(variable.values),
        axes=list(variable.dims),
        unit=_unit_string(variable.unit),
    )


def encode_da00(key: str, value: sc.DataArray, timestamp_ns: int) -> bytes:
    """A da00 payload of `value` at `timestamp_ns`.

    A 0-D ``time`` coord is left out: the payload's timestamp carries it;
    masks go as uint8 variables labelled `MASK_LABEL`.

    Raises
    ------
    ValueError
        If `value` has a coord that da00 cannot carry, or a mask and a coord
        of one name.
    """
    clash = set(value.masks) & ({SIGNAL, ERRORS} | {str(n) for n in value.coords})
    if clash:
        raise ValueError(f"key {key!r}: masks and coords share names {sorted(clash)}")
    variables = [_to_da00_variable(key, SIGNAL, value.data)]
    if value.variances is not None:
        variables.append(_to_da00_variable(key, ERRORS, sc.stddevs(value.data)))
    for name, coord in value.coords.items():
        if name == TIME_DIM and coord.ndim == 0:
            continue
        variables.append(_to_da00_variable(key, str(name), coord))
    for name, mask in value.masks.items():
        variables.append(_to_da00_variable(key, str(name), mask))
    return serialise_da00(
        source_name=key, timestamp_ns=int(timestamp_ns), data=variables
    )


def encode_f144(
    key: str, value: sc.DataArray | sc.Variable, timestamp_ns: int
) -> bytes:
    """An f144 payload of a 0-D or 1-D numeric value (its unit is not carried)."""
    if value.ndim > 1:
        raise ValueError(
            f"key {key!r}: f144 carries 0-D or 1-D values, got {value.dims}"
        )
    return serialise_f144(
        source_name=key, value=value.values, timestamp_unix_ns=int(timestamp_ns)
    )
