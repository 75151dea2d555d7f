"""The numeric dtypes da00 and f144 carry, for the codec tests."""

from __future__ import annotations

import numpy as np
import scipp as sc

# Every numeric dtype both schemas carry, the scipp dtype that holds it exactly
# (docs/decisions/020-wire-dtypes-to-scipp.md), and values at its extremes.
WIRE_DTYPES = {
    "int8": sc.DType.int32,
    "uint8": sc.DType.int32,
    "int16": sc.DType.int32,
    "uint16": sc.DType.int32,
    "int32": sc.DType.int32,
    "uint32": sc.DType.int64,
    "int64": sc.DType.int64,
    "uint64": sc.DType.int64,
    "float32": sc.DType.float32,
    "float64": sc.DType.float64,
}


def extremes(wire: str) -> np.ndarray:
    """Values of `wire` that a lossy conversion would change, incl. min and max."""
    dtype = np.dtype(wire)
    if dtype.kind == "f":
        info = np.finfo(dtype)
        return np.array([info.min, -1.5, info.tiny, 1 / 3, info.max], dtype=dtype)
    info = np.iinfo(dtype)
    # uint64 goes to int64: its top half is the subject of its own test.
    top = min(int(info.max), np.iinfo(np.int64).max)
    return np.array([info.min, 0, 1, top - 1, top], dtype=dtype)
