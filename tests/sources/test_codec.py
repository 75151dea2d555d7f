"""Tests of app/sources/codec.py against payloads made by ess-streaming-data-types."""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest
import scipp as sc
from streaming_data_types.dataarray_da00 import Variable, serialise_da00
from streaming_data_types.eventdata_ev44 import serialise_ev44
from streaming_data_types.logdata_f144 import serialise_f144

from app.sources.codec import (
    F144_ARRAY_DIM,
    MASK_LABEL,
    DecodeError,
    Decoder,
    MalformedPayloadError,
    UnknownSchemaError,
    UnsupportedDtypeError,
    encode_da00,
    encode_f144,
    schema_id,
)
from app.sources.reasons import Reason
from app.sources.simulated import LOG_UNITS, SimulatedInstrument
from app.sources.wire import encode
from tests.sources.wire_dtypes import WIRE_DTYPES, extremes

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


def test_foreign_schema_is_unknown_and_named_in_the_message() -> None:
    payload = serialise_ev44("detector", 0, [T], [0], [1], [2])
    with pytest.raises(UnknownSchemaError, match="'ev44'") as info:
        Decoder().decode(payload)
    assert info.value.reason == Reason.UNKNOWN_SCHEMA


@pytest.mark.parametrize(
    "payload",
    [b"", b"abc", b"\x00" * 16, b"\xff\xff\xff\xff\xfe\xfe\xfe\xfe" + b"x" * 20],
)
def test_short_or_garbage_payload_is_an_error_not_a_crash(payload: bytes) -> None:
    with pytest.raises(DecodeError):
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
        _, payload = encode(message)
        decoded = decoder.decode(payload)

        assert decoded.key == message.key
        assert decoded.timestamp == message.timestamp
        assert sc.identical(decoded.value.coords["time"], value.coords["time"])
        # errors travel as standard deviations: variances come back rounded
        assert sc.allclose(decoded.value.data, value.data, equal_nan=True)
        assert decoded.value.coords.keys() == value.coords.keys()
        for name, coord in value.coords.items():
            assert sc.identical(decoded.value.coords[name], coord), name


def test_a_da00_variable_labelled_mask_becomes_a_mask_not_a_coord() -> None:
    payload = serialise_da00(
        source_name="detector/panel_0",
        timestamp_ns=T,
        data=[
            Variable(name="signal", data=np.ones((2, 3)), axes=["y", "x"]),
            Variable(
                name="dead",
                data=np.array([0, 1, 0], dtype=np.uint8),
                axes=["x"],
                label=MASK_LABEL,
            ),
        ],
    )
    value = Decoder().decode(payload).value
    assert "dead" not in value.coords
    assert sc.identical(
        value.masks["dead"], sc.array(dims=["x"], values=[False, True, False])
    )


def test_a_da00_mask_that_does_not_fit_the_signal_is_malformed_and_named() -> None:
    payload = serialise_da00(
        source_name="detector/panel_0",
        timestamp_ns=T,
        data=[
            Variable(name="signal", data=np.ones((2, 3)), axes=["y", "x"]),
            Variable(
                name="dead",
                data=np.zeros(4, dtype=np.uint8),
                axes=["x"],
                label=MASK_LABEL,
            ),
        ],
    )
    with pytest.raises(DecodeError, match=r"'detector/panel_0'.*'dead'") as error:
        Decoder().decode(payload)
    assert error.value.reason == Reason.MALFORMED_DA00


def test_masks_survive_encode_and_decode() -> None:
    value = sc.DataArray(
        sc.ones(dims=["y", "x"], shape=[2, 3]),
        coords={"x": sc.arange("x", 3.0, unit="mm")},
        masks={
            "dead": sc.array(dims=["x"], values=[True, False, False]),
            "hot": sc.array(
                dims=["x", "y"], values=[[False, True], [False, False], [True, False]]
            ),
        },
    )
    decoded = Decoder().decode(encode_da00("k", value, T)).value
    assert set(decoded.masks) == {"dead", "hot"}
    for name, mask in value.masks.items():
        assert sc.identical(decoded.masks[name], mask), name
    assert set(decoded.coords) == {"x", "time"}


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


def da00_payload(signal: Variable, *others: Variable, key: str = "k") -> bytes:
    return serialise_da00(source_name=key, timestamp_ns=T, data=[signal, *others])


@pytest.mark.parametrize(("wire", "expected"), WIRE_DTYPES.items())
def test_da00_signal_of_every_wire_dtype_arrives_exact(
    wire: str, expected: sc.DType
) -> None:
    values = extremes(wire)
    payload = da00_payload(Variable(name="signal", data=values, axes=["x"]))

    data = Decoder().decode(payload).value.data

    assert data.dtype == expected
    assert data.values.tolist() == values.tolist()


@pytest.mark.parametrize(("wire", "expected"), WIRE_DTYPES.items())
def test_da00_2d_image_of_every_wire_dtype_arrives_exact(
    wire: str, expected: sc.DType
) -> None:
    values = np.resize(extremes(wire), (3, 4))
    payload = da00_payload(
        Variable(name="signal", data=values, axes=["y", "x"], unit="counts")
    )

    image = Decoder().decode(payload).value

    assert image.dims == ("y", "x")
    assert image.dtype == expected
    assert image.values.tolist() == values.tolist()


@pytest.mark.parametrize(("wire", "expected"), WIRE_DTYPES.items())
def test_da00_coords_of_every_wire_dtype_arrive_exact(
    wire: str, expected: sc.DType
) -> None:
    values = extremes(wire)
    payload = da00_payload(
        Variable(name="signal", data=np.ones(4), axes=["x"]),
        Variable(name="x", data=values, axes=["x"], unit="mm"),
        Variable(name="one", data=values[-1:], unit="mm"),
    )

    coords = Decoder().decode(payload).value.coords

    assert coords["x"].dtype == expected
    assert coords["x"].values.tolist() == values.tolist()
    assert coords["one"].dims == ()
    assert coords["one"].dtype == expected
    assert coords["one"].value == values[-1]


@pytest.mark.parametrize("wire", [w for w in WIRE_DTYPES if w.startswith(("i", "u"))])
def test_da00_int_signal_with_errors_becomes_exact_float64(wire: str) -> None:
    dtype = np.dtype(wire)
    values = np.array([max(int(np.iinfo(dtype).min), -(2**53)), 0, 7], dtype=dtype)
    if dtype.kind == "u":
        values = np.array([0, 7, min(int(np.iinfo(dtype).max), 2**53)], dtype=dtype)
    payload = da00_payload(
        Variable(name="signal", data=values, axes=["x"]),
        Variable(name="errors", data=np.array([1.0, 2.0, 3.0]), axes=["x"]),
    )

    data = Decoder().decode(payload).value.data

    assert data.dtype == sc.DType.float64
    assert [int(v) for v in data.values] == values.tolist()
    assert data.variances.tolist() == [1.0, 4.0, 9.0]


def test_da00_float32_signal_with_errors_stays_float32() -> None:
    payload = da00_payload(
        Variable(
            name="signal", data=np.array([0.1, 2.0], dtype=np.float32), axes=["x"]
        ),
        Variable(
            name="errors", data=np.array([0.5, 3.0], dtype=np.float32), axes=["x"]
        ),
    )
    data = Decoder().decode(payload).value.data
    assert data.dtype == sc.DType.float32
    assert data.values.tolist() == np.array([0.1, 2.0], dtype=np.float32).tolist()
    assert data.variances.tolist() == [0.25, 9.0]


@pytest.mark.parametrize(
    "values",
    [
        np.array([0, 2**63], dtype=np.uint64),
        np.array([np.iinfo(np.uint64).max], dtype=np.uint64),
    ],
)
def test_da00_uint64_beyond_int64_is_refused_as_unsupported_dtype(
    values: np.ndarray,
) -> None:
    payload = da00_payload(
        Variable(name="signal", data=values, axes=["x"]), key="detector/panel_0"
    )
    with pytest.raises(
        UnsupportedDtypeError, match=r"'detector/panel_0'.*'signal'.*uint64"
    ) as info:
        Decoder().decode(payload)
    assert info.value.reason == Reason.UNSUPPORTED_DTYPE


@pytest.mark.parametrize("wire", ["int64", "uint64"])
def test_da00_64bit_signal_with_errors_beyond_float64_precision_is_refused(
    wire: str,
) -> None:
    payload = da00_payload(
        Variable(name="signal", data=np.array([1, 2**53 + 1], dtype=wire), axes=["x"]),
        Variable(name="errors", data=np.ones(2), axes=["x"]),
        key="monitor/m1",
    )
    with pytest.raises(UnsupportedDtypeError, match=r"'monitor/m1'.*float64") as info:
        Decoder().decode(payload)
    assert info.value.reason == Reason.UNSUPPORTED_DTYPE


@pytest.mark.parametrize(("wire", "expected"), WIRE_DTYPES.items())
def test_f144_scalar_of_every_wire_dtype_arrives_exact(
    wire: str, expected: sc.DType
) -> None:
    for value in extremes(wire):
        payload = serialise_f144("log/x", value, T)

        data = Decoder().decode(payload).value.data

        assert data.dims == ()
        assert data.dtype == expected
        assert data.value == value


@pytest.mark.parametrize(("wire", "expected"), WIRE_DTYPES.items())
def test_f144_array_of_every_wire_dtype_arrives_exact(
    wire: str, expected: sc.DType
) -> None:
    values = extremes(wire)
    payload = serialise_f144("log/x", values, T)

    data = Decoder({"log/x": "mm"}).decode(payload).value.data

    assert data.dims == (F144_ARRAY_DIM,)
    assert data.dtype == expected
    assert data.unit == sc.Unit("mm")
    assert data.values.tolist() == values.tolist()


@pytest.mark.parametrize(
    "value",
    [np.uint64(2**63), np.array([1, 2**64 - 1], dtype=np.uint64)],
    ids=["scalar", "array"],
)
def test_f144_uint64_beyond_int64_is_refused_as_unsupported_dtype(
    value: np.ndarray,
) -> None:
    payload = serialise_f144("log/counter", value, T)
    with pytest.raises(UnsupportedDtypeError, match="'log/counter'") as info:
        Decoder().decode(payload)
    assert info.value.reason == Reason.UNSUPPORTED_DTYPE


def test_payloads_without_source_name_are_an_invalid_key() -> None:
    for payload in (serialise_f144("", 1.0, T), spectrum_payload(source="")):
        with pytest.raises(DecodeError) as info:
            Decoder().decode(payload)
        assert info.value.reason == Reason.INVALID_KEY


def test_too_short_payload_is_not_a_message() -> None:
    with pytest.raises(DecodeError) as info:
        Decoder().decode(b"f144")
    assert info.value.reason == Reason.NOT_A_MESSAGE


def test_unknown_schemas_are_one_reason_with_the_schema_in_the_message() -> None:
    reasons = set()
    for schema, named in [(b"ev44", "'ev44'"), (b"\xff\xfe\xfd\xfc", r"\xff")]:
        with pytest.raises(UnknownSchemaError) as info:
            Decoder().decode(b"\x00" * 4 + schema + b"\x00" * 16)
        assert named in str(info.value)
        reasons.add(info.value.reason)
    assert reasons == {Reason.UNKNOWN_SCHEMA}


def test_decoder_refuses_a_log_unit_scipp_does_not_know_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"'log/x'.*'bananas'"):
        Decoder({"log/x": "bananas"})


def mutated(payload: bytes, rng: np.random.Generator) -> bytes:
    """`payload` with a few random bytes changed, truncated or extended."""
    data = bytearray(payload)
    for _ in range(rng.integers(1, 4)):
        data[rng.integers(8, len(data))] = rng.integers(0, 256)
    cut = rng.integers(0, 3)
    if cut == 1:
        data = data[: rng.integers(8, len(data))]
    elif cut == 2:
        data += rng.bytes(rng.integers(1, 64))
    return bytes(data)


# Damaged errors can be huge: their squares overflow to inf variances.
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_10000_random_payloads_raise_only_decode_errors_with_few_fixed_reasons() -> (
    None
):
    rng = np.random.default_rng(7)
    valid = [
        spectrum_payload(),
        da00_payload(
            Variable(name="signal", data=np.ones((2, 3), np.uint16), axes=["y", "x"]),
            Variable(name="label", data="upstream"),
        ),
        serialise_f144("log/x", 2.5, T),
        serialise_f144("log/x", np.arange(4, dtype=np.uint32), T),
    ]
    ids = [b"da00", b"f144", b"ev44", rng.bytes(4)]
    reasons = []
    for i in range(10_000):
        kind = i % 3
        if kind == 0:  # bytes from nowhere, some with a schema id that we read
            payload = rng.bytes(rng.integers(0, 200))
            if len(payload) >= 8:
                payload = payload[:4] + ids[rng.integers(len(ids))] + payload[8:]
        else:  # a real payload, damaged
            payload = mutated(valid[rng.integers(len(valid))], rng)
        try:
            Decoder().decode(payload)
        except DecodeError as error:
            reasons.append(error.reason)
        # Anything else escapes and fails the test.

    assert set(reasons) <= set(Reason)
    assert len(set(reasons)) <= 6
    assert {Reason.UNKNOWN_SCHEMA, Reason.MALFORMED_DA00, Reason.MALFORMED_F144} <= (
        set(reasons)
    )


def test_decoded_value_keeps_no_reference_to_the_payload() -> None:
    payload = spectrum_payload()
    references = sys.getrefcount(payload)

    message = Decoder().decode(payload)

    assert sys.getrefcount(payload) == references
    assert message.value.values[0] == 4.0


def test_decoding_copies_the_data_once_making_no_numpy_temporaries() -> None:
    # Numpy reports its allocations to tracemalloc, scipp does not: what is
    # traced is the extra copies, which must not grow with the data.
    counts = np.arange(512 * 512, dtype=np.uint16).reshape(512, 512)
    payload = da00_payload(
        Variable(name="signal", data=counts, axes=["y", "x"]),
        Variable(name="errors", data=np.ones((512, 512)), axes=["y", "x"]),
        Variable(name="x", data=np.arange(512.0), axes=["x"]),
    )
    decoder = Decoder()
    decoder.decode(payload)  # caches warm
    tracemalloc.start()
    try:
        value = decoder.decode(payload).value
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert value.values.tolist() == counts.tolist()
    assert peak < counts.size  # far below the 1-8 bytes per element of a copy


def edges_payload(source: str, edges: np.ndarray, unit: str = "us") -> bytes:
    return serialise_da00(
        source_name=source,
        timestamp_ns=T,
        data=[
            Variable(name="signal", data=np.ones(len(edges) - 1), axes=["tof"]),
            Variable(name="tof", data=edges, axes=["tof"], unit=unit),
        ],
    )


def test_unchanged_bin_edges_are_handed_out_as_the_same_coord() -> None:
    decoder = Decoder()
    edges = np.linspace(0.0, 71_000.0, 1001)
    first = decoder.decode(edges_payload("monitor/m1", edges)).value
    again = decoder.decode(edges_payload("monitor/m1", edges.copy())).value
    # One memory: what the data service recognises without comparing values.
    assert again.coords["tof"].values.base is first.coords["tof"].values.base
    assert sc.identical(
        again.coords["tof"], sc.array(dims=["tof"], values=edges, unit="us")
    )


def test_changed_bin_edges_unit_or_source_get_a_coord_of_their_own() -> None:
    decoder = Decoder()
    edges = np.linspace(0.0, 71_000.0, 1001)
    first = decoder.decode(edges_payload("monitor/m1", edges)).value.coords["tof"]
    first_memory = first.values.base
    moved = edges.copy()
    moved[500] += 1.0
    for payload, expected in [
        (
            edges_payload("monitor/m1", moved),
            sc.array(dims=["tof"], values=moved, unit="us"),
        ),
        (
            edges_payload("monitor/m1", edges, unit="ms"),
            sc.array(dims=["tof"], values=edges, unit="ms"),
        ),
        (
            edges_payload("monitor/m1", edges.astype(np.float32)),
            sc.array(dims=["tof"], values=edges.astype(np.float32), unit="us"),
        ),
        (
            edges_payload("monitor/m2", edges),
            sc.array(dims=["tof"], values=edges, unit="us"),
        ),
    ]:
        coord = decoder.decode(payload).value.coords["tof"]
        assert coord.values.base is not first_memory
        assert sc.identical(coord, expected)
