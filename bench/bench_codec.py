"""Benchmark: the project's da00 decode beside ess-streaming-data-types' own.

Side by side in one run, on (a) a 1000-bin spectrum with errors and a bin-edge
coord and (b) a 128x128 uint16 detector image:

- ours: `Decoder.decode` (payload to scipp DataArray with a time coord);
- library + scipp: `deserialise_da00`, then the same DataArray built from its
  result with scipp's public constructors (the fair comparison);
- library raw: `deserialise_da00` alone (numpy arrays, no scipp).

Prints the median over interleaved repeats, in µs per message, and the ratios
(library + scipp / ours is the target figure, >= 3).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import scipp as sc
from streaming_data_types.dataarray_da00 import (
    Variable,
    deserialise_da00,
    serialise_da00,
)

from app.sources.codec import Decoder

T0 = 1_700_000_000_000_000_000
REPEATS = 15
CALLS = 200
TARGET_RATIO = 3.0
# The dtypes `Decoder` maps to (docs/decisions/020-wire-dtypes-to-scipp.md).
_EXACT_DTYPES = {np.dtype(np.uint16): np.int32}


def spectrum_payload() -> bytes:
    rng = np.random.default_rng(0)
    counts = rng.poisson(100.0, 1000).astype(np.float64)
    return serialise_da00(
        source_name="monitor/m1",
        timestamp_ns=T0,
        data=[
            Variable(name="signal", data=counts, axes=["tof"], unit="counts"),
            Variable(name="errors", data=np.sqrt(counts), axes=["tof"], unit="counts"),
            Variable(
                name="tof",
                data=np.linspace(0.0, 71_000.0, 1001),
                axes=["tof"],
                unit="us",
            ),
        ],
    )


def image_payload() -> bytes:
    rng = np.random.default_rng(1)
    counts = rng.integers(0, 60_000, size=(128, 128), dtype=np.uint16)
    return serialise_da00(
        source_name="detector/panel_0",
        timestamp_ns=T0,
        data=[Variable(name="signal", data=counts, axes=["y", "x"], unit="counts")],
    )


def _scipp_values(values: np.ndarray) -> np.ndarray:
    exact = _EXACT_DTYPES.get(values.dtype)
    return values if exact is None else values.astype(exact)


def library_and_scipp(payload: bytes) -> sc.DataArray:
    """`deserialise_da00`, then the DataArray `Decoder` makes, built the usual way."""
    parsed = deserialise_da00(payload)
    variables = {variable.name: variable for variable in parsed.data}
    signal = variables.pop("signal")
    errors = variables.pop("errors", None)
    data = sc.array(
        dims=signal.axes,
        values=_scipp_values(signal.data),
        variances=None if errors is None else np.square(errors.data),
        unit=signal.unit,
    )
    coords = {
        name: sc.array(dims=v.axes, values=_scipp_values(v.data), unit=v.unit)
        for name, v in variables.items()
    }
    coords["time"] = sc.datetime(parsed.timestamp_ns, unit="ns")
    return sc.DataArray(data, coords=coords)


def per_call_us(decode: Callable[[bytes], object], payload: bytes) -> float:
    started = time.perf_counter()
    for _ in range(CALLS):
        decode(payload)
    return (time.perf_counter() - started) / CALLS * 1e6


def main() -> None:
    decoder = Decoder()
    contenders: dict[str, Callable[[bytes], object]] = {
        "ours": lambda payload: decoder.decode(payload).value,
        "library + scipp": library_and_scipp,
        "library raw": deserialise_da00,
    }
    cases = {
        "spectrum 1000 bins + errors + 1001 edges": spectrum_payload(),
        "image 128x128 uint16": image_payload(),
    }
    for case, payload in cases.items():
        # Same result, or the comparison means nothing.
        assert sc.identical(decoder.decode(payload).value, library_and_scipp(payload))
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(REPEATS):  # interleaved: load changes hit all alike
            for name, decode in contenders.items():
                samples[name].append(per_call_us(decode, payload))
        medians = {name: statistics.median(s) for name, s in samples.items()}
        print(f"{case} ({len(payload)} bytes), median of {REPEATS} x {CALLS} calls:")
        for name, median in medians.items():
            print(f"  {name:16s} {median:8.1f} µs/message")
        ours = medians["ours"]
        print(
            f"  ratio library + scipp / ours: "
            f"{medians['library + scipp'] / ours:.1f}x (target >= {TARGET_RATIO}x)"
        )
        print(f"  ratio library raw / ours:     {medians['library raw'] / ours:.1f}x")


if __name__ == "__main__":
    main()
