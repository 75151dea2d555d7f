"""The facility's FlatBuffers schemas (da00, f144) to and from scipp messages."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipp as sc
from streaming_data_types.dataarray_da00 import Variable, serialise_da00
from streaming_data_types.fbschemas.dataarray_da00.da00_DataArray import (
    da00_DataArray,
)
from streaming_data_types.fbschemas.dataarray_da00.da00_dtype import da00_dtype
from streaming_data_types.logdata_f144 import deserialise_f144, serialise_f144
from streaming_data_types.utils import check_schema_identifier

from .message import TIME_DIM, Message, stamped

DA00 = "da00"
F144 = "f144"
SIGNAL = "signal"
ERRORS = "errors"
F144_ARRAY_DIM = "index"
"""Dim of a 1-D f144 value (the schema names none)."""

_DA00_DTYPES = {
    getattr(da00_dtype, name): np.dtype(name)
    for name in (
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
}

# The ASCII spellings scipp parses back, for consumers that are not scipp.
_ASCII_UNITS = {"µ": "u", "Å": "angstrom"}


class DecodeError(ValueError):
    """A payload that cannot become a message; `reason` is its counter name."""

    reason: str = "malformed"


class UnknownSchemaError(DecodeError):
    """A payload of a schema this dashboard does not read."""

    def __init__(self, schema_id: str) -> None:
        super().__init__(f"unknown schema {schema_id!r}")
        self.schema_id = schema_id
        self.reason = f"unknown schema {schema_id!r}"


class MalformedPayloadError(DecodeError):
    """A payload of a known schema whose content does not fit."""

    def __init__(self, schema_id: str, detail: str) -> None:
        super().__init__(f"malformed {schema_id}: {detail}")
        self.schema_id = schema_id
        self.reason = f"malformed {schema_id}"


def schema_id(payload: bytes) -> str:
    """The 4-character FlatBuffers file identifier of a payload."""
    if len(payload) < 8:
        raise MalformedPayloadError("payload", f"{len(payload)} bytes, too short")
    try:
        return payload[4:8].decode("ascii")
    except UnicodeDecodeError:
        raise UnknownSchemaError(repr(bytes(payload[4:8]))) from None


class Decoder:
    """Turns da00 and f144 payloads into messages with scipp values.

    Parameters
    ----------
    log_units:
        Units of f144 sources by source name; f144 carries no unit, so others
        are dimensionless.
    """

    def __init__(self, log_units: Mapping[str, str] | None = None) -> None:
        self._log_units = dict(log_units or {})

    def decode(self, payload: bytes) -> Message:
        """The message in `payload`.

        Raises
        ------
        UnknownSchemaError
            If the schema is neither da00 nor f144.
        MalformedPayloadError
            If the payload does not parse or its content does not fit.
        """
        schema = schema_id(payload)
        if schema == DA00:
            return self._decode_da00(payload)
        if schema == F144:
            return self._decode_f144(payload)
        raise UnknownSchemaError(schema)

    def _decode_da00(self, payload: bytes) -> Message:
        try:
            key, timestamp, variables = _read_da00(payload)
        except Exception as error:  # garbage makes FlatBuffers raise anything
            raise MalformedPayloadError(DA00, f"does not parse ({error!r})") from error
        if SIGNAL not in variables:
            raise MalformedPayloadError(
                DA00, f"key {key!r}: no variable {SIGNAL!r}, got {list(variables)}"
            )
        try:
            data = variables.pop(SIGNAL)
            stddevs = variables.pop(ERRORS, None)
            if stddevs is not None:
                if stddevs.dims != data.dims or stddevs.shape != data.shape:
                    raise ValueError(
                        f"errors have dims {stddevs.dims} shape {stddevs.shape}, "
                        f"signal has {data.dims} shape {data.shape}"
                    )
                if data.dtype not in (sc.DType.float64, sc.DType.float32):
                    data = data.astype("float64")
                data.variances = np.square(stddevs.values, dtype=data.values.dtype)
            value = sc.DataArray(data, coords=variables)
        except (ValueError, TypeError, sc.DimensionError, sc.UnitError) as error:
            raise MalformedPayloadError(DA00, f"key {key!r}: {error}") from error
        return Message(key=key, value=stamped(value, timestamp), timestamp=timestamp)

    def _decode_f144(self, payload: bytes) -> Message:
        try:
            parsed = deserialise_f144(payload)
        except Exception as error:  # garbage makes FlatBuffers raise anything
            raise MalformedPayloadError(F144, f"does not parse ({error!r})") from error
        key = parsed.source_name
        unit = self._log_units.get(key, "dimensionless")
        raw = np.asarray(parsed.value)
        try:
            if raw.ndim == 0:
                data = sc.scalar(raw.item(), unit=unit)
            else:
                data = sc.array(dims=[F144_ARRAY_DIM], values=raw.copy(), unit=unit)
        except (ValueError, TypeError, sc.UnitError) as error:
            raise MalformedPayloadError(F144, f"key {key!r}: {error}") from error
        timestamp = parsed.timestamp_unix_ns
        return Message(
            key=key, value=stamped(sc.DataArray(data), timestamp), timestamp=timestamp
        )


def _read_da00(payload: bytes) -> tuple[str, int, dict[str, sc.Variable]]:
    """Source name, timestamp and variables of a da00 payload.

    Reads the schema's generated tables directly: `deserialise_da00` goes
    through its own `Variable` class and rebuilds a dtype table per variable,
    which made decoding the largest cost of the Kafka path (see bench_kafka).
    """
    check_schema_identifier(payload, DA00.encode())
    root = da00_DataArray.GetRootAs(payload, 0)
    variables = {}
    for j in range(root.DataLength()):
        fb_variable = root.Data(j)
        name = fb_variable.Name().decode()
        unit = fb_variable.Unit()
        variables[name] = _variable(
            name,
            dims=[
                fb_variable.Axes(i).decode() for i in range(fb_variable.AxesLength())
            ],
            shape=fb_variable.ShapeAsNumpy(),
            dtype=fb_variable.DataType(),
            raw=fb_variable.DataAsNumpy(),
            unit=None if unit is None else unit.decode(),
        )
    return root.SourceName().decode(), root.Timestamp(), variables


def _variable(
    name: str,
    *,
    dims: list[str],
    shape: np.ndarray | int,
    dtype: int,
    raw: np.ndarray | int,
    unit: str | None,
) -> sc.Variable:
    if isinstance(raw, int):  # FlatBuffers' answer for an absent vector
        raw = np.empty(0, dtype=np.uint8)
    if dtype == da00_dtype.c_string:
        if dims:
            raise ValueError(f"variable {name!r}: a string with axes {dims}")
        return sc.scalar(raw.tobytes().decode(), unit=None)
    if dtype not in _DA00_DTYPES:
        raise ValueError(f"variable {name!r}: unknown da00 dtype {dtype}")
    values = raw.view(_DA00_DTYPES[dtype])
    if not dims:
        if values.size != 1:
            raise ValueError(f"variable {name!r}: {values.size} values, no axes")
        return sc.scalar(values[0], unit=unit)
    # scipp copies, so the value does not keep the Kafka message's memory.
    return sc.array(dims=dims, values=values.reshape(shape), unit=unit)


def _unit_string(unit: sc.Unit | None) -> str | None:
    if unit is None:
        return None
    text = str(unit)
    for symbol, ascii_spelling in _ASCII_UNITS.items():
        text = text.replace(symbol, ascii_spelling)
    return text


def _to_da00_variable(key: str, name: str, variable: sc.Variable) -> Variable:
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

    A 0-D ``time`` coord is left out: the payload's timestamp carries it.

    Raises
    ------
    ValueError
        If `value` has masks or a coord that da00 cannot carry.
    """
    if value.masks:
        raise ValueError(f"key {key!r}: da00 carries no masks, got {list(value.masks)}")
    variables = [_to_da00_variable(key, SIGNAL, value.data)]
    if value.variances is not None:
        variables.append(_to_da00_variable(key, ERRORS, sc.stddevs(value.data)))
    for name, coord in value.coords.items():
        if name == TIME_DIM and coord.ndim == 0:
            continue
        variables.append(_to_da00_variable(key, str(name), coord))
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
