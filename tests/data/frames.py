"""Frames the data-layer tests store: scipp values with coords, masks, variances."""

from __future__ import annotations

import numpy as np
import scipp as sc

T0 = 1_700_000_000_000_000_000


def timestamp(i: int) -> sc.Variable:
    return sc.scalar(np.datetime64(T0 + i, "ns"))


def scalar(i: int, *, unit: str = "K") -> sc.DataArray:
    return sc.DataArray(
        sc.scalar(float(i), variance=0.5, unit=unit), coords={"time": timestamp(i)}
    )


def spectrum(i: int, *, bins: int = 8) -> sc.DataArray:
    rng = np.random.default_rng(i)
    return sc.DataArray(
        sc.array(
            dims=["tof"],
            values=rng.random(bins),
            variances=rng.random(bins),
            unit="counts",
        ),
        coords={
            "tof": sc.linspace("tof", 0.0, 70_000.0, bins + 1, unit="us"),
            "time": timestamp(i),
            "detector": sc.scalar("m1"),
        },
        masks={"noisy": sc.array(dims=["tof"], values=rng.random(bins) > 0.7)},
    )


def image(i: int, *, size: int = 6) -> sc.DataArray:
    rng = np.random.default_rng(i)
    da = sc.DataArray(
        sc.array(dims=["y", "x"], values=rng.poisson(5.0, (size, size)), unit="counts"),
        coords={
            "x": sc.linspace("x", -10.0, 10.0, size, unit="mm"),
            "y": sc.linspace("y", -10.0, 10.0, size, unit="mm"),
            "time": timestamp(i),
        },
        masks={"edge": sc.array(dims=["x"], values=np.arange(size) == 0)},
    )
    da.coords.set_aligned("y", False)
    return da


def stacked(frames: list[sc.DataArray]) -> sc.DataArray:
    """The stack a buffer holds: `sc.concat`, with every mask stacked too."""
    expected = sc.concat(frames, "time")
    if "time" in frames[0].coords:
        expected.coords["time"] = sc.concat(
            [frame.coords["time"] for frame in frames], "time"
        )
    for name in frames[0].masks:
        expected.masks[name] = sc.concat(
            [frame.masks[name] for frame in frames], "time"
        )
    return expected
