"""Tests of app/sources/codec.py against payloads made by ess-streaming-data-types."""

from __future__ import annotations

import numpy as np
import pytest
import scipp as sc
from streaming_data_types.dataarray_da00 import Variable, serialise_da00
from streaming_data_types.eventdata_ev44 import serialise_ev44
from streaming_data_types.logdata_f144 import serialise_f144

from app.sources.codec import (
    Decoder,
    MalformedPayloadError,
    UnknownSchemaError,
    encode_da00,
    encode_f144,
    schema_id,
)
from app.sources.simulated import LOG_UNITS, SimulatedInstrument

T = 1_700_000_000_123_456_789


def spectrum_payload(source: str = "monitor/m1") -> bytes:
    return serialise_da00(
        source_name=source,
        timestamp_ns=T,
        data=[
            Variable(
                name="signal",
                data=np.array([4.0, 9.0, 16.0]),
                axes=["tof"],
                unit="counts",
            ),
            Variable(
                name="errors",
                data=np.array([2.0, 3.0, 4.0]),
                axes=["tof"],
                unit="counts",
            ),
            Variable(
                name="tof",
                data=np.array([0.0, 10.0, 20.0, 30.0]),
                axes=["tof"],
                unit="us",
            ),
        ],
    )


def test_da00_becomes_data_array_with_variances_coords_and_time() -> None:
    message = Decoder().decode(spectrum_payload())

    expected = sc.DataArray(
        sc.array(
            dims=["tof"],
            values=[4.0, 9.0, 16.0],
            variances=[4.0, 9.0, 16.0],
            unit="counts",
        ),
        coords={
            "tof": sc.array(dims=["tof"], values=[0.0, 10.0, 20.0, 30.0], unit="us"),
            "time": sc.datetime(T, unit="ns"),
        },
    )
    assert message.key == "monitor/m1"
    assert message.timestamp == T
    assert sc.identical(message.value, expected)


def test_da00_2d_image_keeps_axes_order_and_int_dtype() -> None:
    counts = np.arange(6, dtype=np.int32).reshape(2, 3)
    payload = serialise_da00(
        source_name="detector/panel_0",
        timestamp_ns=T,
        data=[
            Variable(name="signal", data=counts, axes=["y", "x"], unit="counts"),
            Variable(name="x", data=np.array([1.0, 2.0, 3.0]), axes=["x"], unit="mm"),
            Variable(name="y", data=np.array([5.0, 6.0]), axes=["y"], unit="mm"),
        ],
    )

    image = Decoder().decode(payload).value

    assert image.dims == ("y", "x")
    assert image.dtype == sc.DType.int32
    np.testing.assert_array_equal(image.values, counts)
    assert image.variances is None
    assert sc.identical(
        image.coords["x"], sc.array(dims=["x"], values=[1.0, 2.0, 3.0], unit="mm")
    )


def test_da00_decoded_value_does_not_share_the_payload_memory() -> None:
    payload = bytearray(spectrum_payload())
    value = Decoder().decode(payload).value
    payload[:] = bytes(len(payload))
    assert value.values[0] == 4.0


def test_f144_becomes_0d_data_array_with_configured_unit_and_time() -> None:
    payload = serialise_f144("log/sample_temperature", 295.5, T)

    message = Decoder(LOG_UNITS).decode(payload)

    expected = sc.DataArray(
        sc.scalar(295.5, unit="K"), coords={"time": sc.datetime(T, unit="ns")}
    )
    assert message.key == "log/sample_temperature"
    assert message.timestamp == T
    assert sc.identical(message.value, expected)


def test_f144_of_unknown_source_is_dimensionless() -> None:
    value = Decoder(LOG_UNITS).decode(serialise_f144("log/other", 3, T)).value
    assert value.unit == sc.units.dimensionless
    assert value.value == 3


def test_f144_array_becomes_1d() -> None:
    payload = serialise_f144("log/chopper_phases", np.array([1.0, 2.0]), T)
    value = Decoder().decode(payload).value
    assert value.dims == ("index",)
    np.testing.assert_array_equal(value.values, [1.0, 2.0])


def test_foreign_schema_is_unknown() -> None:
    payload = serialise_ev44("detector", 0, [T], [0], [1], [2])
    with pytest.raises(UnknownSchemaError) as info:
        Decoder().decode(payload)
    assert info.value.reason == "unknown schema 'ev44'"


@pytest.mark.parametrize(
    "payload",
    [b"", b"abc", b"\x00" * 16, b"\xff\xff\xff\xff\xfe\xfe\xfe\xfe" + b"x" * 20],
)
def test_short_or_garbage_payload_is_an_error_not_a_crash(payload: bytes) -> None:
    with pytest.raises((MalformedPayloadError, UnknownSchemaError)):
        Decoder().decode(payload)


def test_truncated_da00_is_malformed() -> None:
    payload = spectrum_payload()
    with pytest.raises(MalformedPayloadError) as info:
        Decoder().decode(payload[: len(payload) // 2])
    assert info.value.reason == "malformed da00"


def test_corrupted_da00_body_is_malformed() -> None:
    payload = bytearray(spectrum_payload())
    payload[8:] = b"\xff" * (len(payload) - 8)
    with pytest.raises(MalformedPayloadError):
        Decoder().decode(bytes(payload))


def test_truncated_f144_is_malformed() -> None:
    payload = serialise_f144("log/motor_x", 1.5, T)
    with pytest.raises(MalformedPayloadError) as info:
        Decoder().decode(payload[:12])
    assert info.value.reason == "malformed f144"


def test_da00_without_signal_is_malformed_and_named() -> None:
    payload = serialise_da00(
        source_name="monitor/m1",
        timestamp_ns=T,
        data=[Variable(name="counts", data=np.ones(3), axes=["tof"])],
    )
    with pytest.raises(MalformedPayloadError, match=r"'monitor/m1'.*'signal'"):
        Decoder().decode(payload)


def test_da00_errors_of_other_shape_are_malformed() -> None:
    payload = serialise_da00(
        source_name="monitor/m1",
        timestamp_ns=T,
        data=[
            Variable(name="signal", data=np.ones(3), axes=["tof"]),
            Variable(name="errors", data=np.ones(2), axes=["tof"]),
        ],
    )
    with pytest.raises(MalformedPayloadError, match="errors have dims"):
        Decoder().decode(payload)


def test_schema_id_reads_the_file_identifier() -> None:
    assert schema_id(spectrum_payload()) == "da00"
    assert schema_id(serialise_f144("a", 1.0, T)) == "f144"


def test_simulated_values_survive_encode_and_decode() -> None:
    decoder = Decoder(LOG_UNITS)
    for message in SimulatedInstrument(seed=4).tick(T):
        value = message.value
        encode = encode_f144 if value.ndim == 0 else encode_da00
        decoded = decoder.decode(encode(message.key, value, message.timestamp))

        assert decoded.key == message.key
        assert decoded.timestamp == message.timestamp
        assert sc.identical(decoded.value.coords["time"], value.coords["time"])
        # errors travel as standard deviations: variances come back rounded
        assert sc.allclose(decoded.value.data, value.data, equal_nan=True)
        assert decoded.value.coords.keys() == value.coords.keys()
        for name, coord in value.coords.items():
            assert sc.identical(decoded.value.coords[name], coord), name


def test_encode_da00_refuses_masks() -> None:
    value = sc.DataArray(
        sc.ones(dims=["x"], shape=[2]),
        masks={"bad": sc.array(dims=["x"], values=[1, 0], dtype=bool)},
    )
    with pytest.raises(ValueError, match=r"'k'.*masks"):
        encode_da00("k", value, T)


def test_encode_f144_refuses_2d() -> None:
    with pytest.raises(ValueError, match="'k'"):
        encode_f144("k", sc.ones(dims=["x", "y"], shape=[2, 2]), T)


def test_da00_int_signal_with_errors_becomes_float_with_variances() -> None:
    payload = serialise_da00(
        source_name="monitor/m1",
        timestamp_ns=T,
        data=[
            Variable(name="signal", data=np.array([1, 4]), axes=["tof"]),
            Variable(name="errors", data=np.array([1.0, 2.0]), axes=["tof"]),
        ],
    )
    data = Decoder().decode(payload).value.data
    assert data.dtype == sc.DType.float64
    np.testing.assert_array_equal(data.values, [1.0, 4.0])
    np.testing.assert_array_equal(data.variances, [1.0, 4.0])


def test_da00_scalar_and_string_variables_become_0d_coords() -> None:
    payload = serialise_da00(
        source_name="monitor/m1",
        timestamp_ns=T,
        data=[
            Variable(name="signal", data=np.ones(2), axes=["tof"], unit="counts"),
            Variable(name="wavelength", data=2.5, unit="angstrom"),
            Variable(name="label", data="upstream"),
        ],
    )
    coords = Decoder().decode(payload).value.coords
    assert sc.identical(coords["wavelength"], sc.scalar(2.5, unit="angstrom"))
    assert coords["label"].value == "upstream"
