"""The last step before Bokeh: scipp values turned into ColumnDataSource columns."""

from __future__ import annotations

import numpy as np
import scipp as sc

TIME_DIM = "time"


def unit_label(unit: sc.Unit | None) -> str:
    """Return a unit for an axis or title, ``dimensionless`` for unit one."""
    return "none" if unit is None else str(unit)


def axis_label(name: str, unit: sc.Unit | None) -> str:
    """Return ``name [unit]`` as used on every axis."""
    return f"{name} [{unit_label(unit)}]"


def epoch_ms(times: sc.Variable) -> np.ndarray:
    """Return datetimes as float milliseconds since the epoch, Bokeh's time axis."""
    ns = times.to(unit="ns").values.astype("datetime64[ns]").astype(np.int64)
    return ns / 1e6


def times_ns(times: sc.Variable) -> np.ndarray:
    """Return datetimes as int64 ns since the epoch, without a copy if already ns.

    A window's times are read every frame: converting all of them would cost
    in proportion to the window.
    """
    if times.unit != sc.units.ns:
        times = times.to(unit="ns")
    values = np.asarray(times.values)
    if values.dtype != np.dtype("datetime64[ns]"):
        values = values.astype("datetime64[ns]")
    return values.view(np.int64)


def newest_time_ns(value: sc.DataArray) -> int | None:
    """Return the newest ``time`` coord of a frame or window in ns, if it has one."""
    if TIME_DIM not in value.coords:
        return None
    ns = times_ns(value.coords[TIME_DIM])
    return int(ns.max()) if ns.size else None


def centers(coord: sc.Variable, length: int) -> np.ndarray:
    """Return bin centres of a coord that holds either centres or bin edges."""
    values = np.asarray(coord.values, dtype=np.float64)
    if values.shape[0] == length + 1:
        return 0.5 * (values[:-1] + values[1:])
    return values


def extent(coord: sc.Variable | None, length: int) -> tuple[float, float]:
    """Return ``(start, width)`` covering all bins of a dim, as Bokeh images want.

    Bin centres are widened by half a bin on either side; a missing coord
    counts bins from zero.
    """
    if coord is None:
        return 0.0, float(length)
    values = np.asarray(coord.values, dtype=np.float64)
    if values.shape[0] == length + 1:
        return float(values[0]), float(values[-1] - values[0])
    step = (values[-1] - values[0]) / (length - 1) if length > 1 else 1.0
    return float(values[0] - step / 2), float(step * length)


def plottable(values: np.ndarray, *, log: bool) -> np.ndarray:
    """Return float values; on a log scale non-positive values become NaN (gaps)."""
    values = np.asarray(values, dtype=np.float64)
    if log:
        return np.where(values > 0, values, np.nan)
    return values
