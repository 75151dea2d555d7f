"""The last step before Bokeh: scipp values turned into ColumnDataSource columns."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np
import scipp as sc
from bokeh.core.property.validation import validate

TIME_DIM = "time"

R = TypeVar("R")


NO_UNIT = "no unit"
"""What headers, colour bars, value panels and the key browser say of a value
without a unit (scipp's None or dimensionless, as f144 logs without one)."""


@contextmanager
def columns_as_built() -> Iterator[None]:
    """Send columns this module built without Bokeh checking them again.

    Bokeh checks a data source's every column on each change, a stream's
    too (the whole data after the rows were added): a sixth of a frame's
    server time. Columns made here are arrays and lists of numbers, strings
    and arrays by construction; Bokeh's own switch (`validate`) turns the
    check off for the change alone, on the drawing thread (decision 059).
    """
    with validate(False):
        yield


def has_unit(unit: sc.Unit | None) -> bool:
    """Whether ``unit`` is a unit worth printing (not None nor dimensionless)."""
    return unit is not None and unit != sc.units.dimensionless


# Both are asked every frame of every session's plot, with a few names and
# units a process ever sees; printing a scipp unit is the cost.
@functools.lru_cache(maxsize=1024)
def unit_label(unit: sc.Unit | None) -> str:
    """Return a unit for a header or colour bar, `NO_UNIT` if it has none."""
    return str(unit) if has_unit(unit) else NO_UNIT


@functools.lru_cache(maxsize=1024)
def axis_label(name: str, unit: sc.Unit | None) -> str:
    """Return ``name [unit]`` as used on every axis, ``name`` if it has no unit."""
    return f"{name} [{unit}]" if has_unit(unit) else name


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


def once_per_value(function: Callable[[Any], R]) -> Callable[[Any], R]:
    """``function`` of a scipp value, computed once per value object.

    Equal extractors share one extraction (`app.data`): in a round, every
    session's plot of a key is handed the same object, so a result that
    depends on the value alone is computed once per process, not once per
    session and frame. Results are kept while their values live (weak
    references) and are never mutated by callers.
    """
    results: dict[int, tuple[weakref.ref, R]] = {}

    def forget(ref: weakref.ref, key: int) -> None:
        # A newer value may have taken the id: only the dead one's entry goes.
        entry = results.get(key)
        if entry is not None and entry[0] is ref:
            results.pop(key, None)

    @functools.wraps(function)
    def cached(value: Any) -> R:
        key = id(value)
        entry = results.get(key)
        if entry is not None and entry[0]() is value:
            return entry[1]
        result = function(value)
        try:
            ref = weakref.ref(value, lambda ref, key=key: forget(ref, key))
        except TypeError:  # not a value that can be referred to weakly
            return result
        results[key] = (ref, result)
        return result

    return cached


@once_per_value
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


def mask_of(value: sc.DataArray) -> np.ndarray | None:
    """Return where any of ``value``'s masks hides a value, in its shape; None if none.

    A mask may span fewer dims than the data (a dead detector column masks
    that column in every row): it is broadcast to the data's dims.
    """
    masks = getattr(value, "masks", None)
    if not masks:
        return None
    hidden = np.zeros(value.shape, dtype=bool)
    for mask in masks.values():
        full = mask.broadcast(sizes=value.sizes).transpose(value.dims)
        hidden |= np.asarray(full.values, dtype=bool)
    return hidden


def masked_values(value: sc.DataArray) -> np.ndarray:
    """Return ``value``'s values as float64, NaN where a mask hides them.

    NaN is what every plot already leaves undrawn (a gap in a line, a
    transparent pixel) and what value ranges skip (decision 045).
    """
    values = np.asarray(value.values, dtype=np.float64)
    hidden = mask_of(value)
    if hidden is None or not hidden.any():
        return values
    return np.where(hidden, np.nan, values)


ALL_MASKED = "all values masked"
ALL_NAN = "all values NaN"


def values_note(value: sc.DataArray, shown: np.ndarray) -> str:
    """Return why a frame draws nothing (all masked, all NaN), else ``""``.

    ``shown`` is `masked_values` of ``value``; an empty frame needs no note.
    """
    if shown.size == 0 or np.isfinite(shown).any():
        return ""
    hidden = mask_of(value)
    if hidden is not None and hidden.all():
        return ALL_MASKED
    if np.isnan(shown).all():
        return ALL_NAN
    return "no finite values"


UNIFORM_TOLERANCE = 0.01
"""Edges count as uniform when each lies within this share of a bin of where
evenly spaced edges would be: drawn as one image, no pixel moves by more than
a hundredth of a bin (decision 044)."""


def edges_of(coord: sc.Variable | None, length: int) -> np.ndarray:
    """Return the ``length + 1`` bin edges of a dim, as float64.

    Bin centres become edges half way between them (the outer edges half a
    gap beyond the outer centres); a missing coord counts bins from zero.
    """
    if coord is None:
        return np.arange(length + 1, dtype=np.float64)
    values = np.asarray(coord.values, dtype=np.float64)
    if values.shape[0] == length + 1:
        return values
    if length == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    middles = 0.5 * (values[:-1] + values[1:])
    first = values[0] - (middles[0] - values[0])
    last = values[-1] + (values[-1] - middles[-1])
    return np.concatenate([[first], middles, [last]])


def is_uniform(edges: np.ndarray) -> bool:
    """Whether ``edges`` may be drawn as evenly spaced (see `UNIFORM_TOLERANCE`)."""
    if edges.size <= 2:
        return True
    even = np.linspace(edges[0], edges[-1], edges.size)
    step = abs(edges[-1] - edges[0]) / (edges.size - 1)
    return bool(np.max(np.abs(edges - even)) <= UNIFORM_TOLERANCE * step)


def uniform_cells(edges: np.ndarray, max_cells: int) -> np.ndarray:
    """Return which bin each of at most ``max_cells`` even cells across ``edges`` shows.

    Cells are as narrow as the narrowest bin if ``max_cells`` allows, else
    ``max_cells`` wide: each cell shows the bin holding its centre, so a bin
    narrower than a cell may be left out (decision 044).
    """
    span = edges[-1] - edges[0]
    narrowest = float(np.min(np.abs(np.diff(edges))))
    wanted = int(np.ceil(abs(span) / narrowest)) if narrowest > 0 else max_cells
    cells = min(max_cells, max(edges.size - 1, wanted))
    centres = edges[0] + (np.arange(cells) + 0.5) * span / cells
    if span < 0:  # falling edges: found among the same edges rising
        found = edges.size - 1 - np.searchsorted(edges[::-1], centres)
    else:
        found = np.searchsorted(edges, centres) - 1
    return np.clip(found, 0, edges.size - 2)
