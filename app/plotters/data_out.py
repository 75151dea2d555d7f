"""Data out: what a plot shows, as a file an operator takes away (decision 093).

A plot's file holds its current extraction (`Plotter.shown`): the latest
frame, the window or the aggregate, with coords, units, variances and masks.
CSV takes 0-D and 1-D data, HDF5 (scipp's own format) takes any. Every file
is named ``<key>_<view>_<time>`` after the newest data it holds.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Hashable
from datetime import UTC, datetime

import numpy as np
import scipp as sc

from app.plotters.columns import axis_label

CSV_MAX_DIMS = 1
"""CSV holds a table: 0-D (one row) and 1-D data (a row per value)."""


def file_stem(key: Hashable, view: str, time_ns: int | None) -> str:
    """The name of a plot's files without suffix: ``<key>_<view>_<time>``.

    Characters a file name may not safely hold (``/`` of a key, spaces) become
    ``-``; the time is the newest data's, in UTC to the second
    (``20261206T055501Z``), or ``no-time`` for data without a time.
    """
    stamp = (
        "no-time"
        if time_ns is None
        else datetime.fromtimestamp(time_ns / 1e9, tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    )
    return "_".join(_safe(part) for part in (str(key), view, stamp))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-") or "-"


def as_data_array(value: sc.DataArray | sc.Variable, key: Hashable) -> sc.DataArray:
    """``value`` as a DataArray named after ``key`` (a key may send Variables)."""
    if isinstance(value, sc.Variable):
        return sc.DataArray(value, name=str(key))
    return value


def csv_text(value: sc.DataArray) -> str:
    """The CSV of 0-D or 1-D data: a header row of ``name [unit]``, then a row
    per value.

    Columns: every coord along the data's dim (bin edges as ``<dim> low`` and
    ``<dim> high``), the values, their standard deviations if the data has
    variances, and each mask. Times are ISO 8601 in UTC.

    Raises
    ------
    ValueError
        If the data has more than one dim (HDF5 holds any).
    """
    if value.ndim > CSV_MAX_DIMS:
        raise ValueError(
            f"{value.name or 'data'}: CSV holds 0-D or 1-D data, this is "
            f"{value.ndim}-D {value.dims}: take HDF5"
        )
    length = value.shape[0] if value.ndim else 1
    columns: list[tuple[str, np.ndarray]] = []
    for name, coord in value.coords.items():
        if coord.ndim != value.ndim:
            continue  # a 0-D coord of 1-D data (the frame's time) is no column
        values = _column(coord)
        if coord.dtype == sc.DType.datetime64:
            columns.append((f"{name} (UTC)", values))
        elif len(values) == length + 1:
            columns.append((axis_label(f"{name} low", coord.unit), values[:-1]))
            columns.append((axis_label(f"{name} high", coord.unit), values[1:]))
        else:
            columns.append((axis_label(name, coord.unit), values))
    columns.append((axis_label(value.name or "value", value.unit), _column(value.data)))
    if value.variances is not None:
        stddevs = sc.stddevs(value.data)
        columns.append((axis_label("stddev", stddevs.unit), _column(stddevs)))
    for name, mask in value.masks.items():
        columns.append((f"mask {name}", _column(mask)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in columns])
    writer.writerows(zip(*(values for _, values in columns), strict=True))
    return out.getvalue()


def _column(variable: sc.Variable) -> np.ndarray:
    values = np.atleast_1d(np.asarray(variable.values))
    if variable.dtype == sc.DType.datetime64:
        return np.datetime_as_string(values, timezone="UTC")
    if values.dtype.kind == "f":
        return np.array([repr(float(v)) for v in values])
    return values


def hdf5_bytes(value: sc.DataArray) -> bytes:
    """The data as scipp writes HDF5 (`scipp.io.load_hdf5` reads it back)."""
    out = io.BytesIO()
    value.save_hdf5(out)
    return out.getvalue()
