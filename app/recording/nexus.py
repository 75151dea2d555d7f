"""NXlog groups of a NeXus file as records, so a replay shows them as logs.

Each value of each NXlog becomes an f144 record (what a log's Kafka record
carries) that arrived at the value's time; the key is the group's path in the
file (``entry/sample/temperature``) and the unit the file's.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import scipp as sc

from app.sources.message import Message, stamped
from app.sources.wire import WireRecord, to_record

logger = logging.getLogger(__name__)

SUFFIXES = (".nxs", ".nx5", ".h5", ".hdf5", ".hdf")
"""File names a NeXus file ends with."""
_EPOCH = np.datetime64(0, "ns")
_NUMERIC = (sc.DType.float64, sc.DType.float32, sc.DType.int64, sc.DType.int32)


def is_nexus(path: str | os.PathLike[str]) -> bool:
    """Whether `path` names a NeXus (HDF5) file rather than a recording."""
    return Path(path).is_file() and Path(path).suffix.lower() in SUFFIXES


def nxlog_records(
    path: str | os.PathLike[str],
) -> tuple[list[WireRecord], dict[str, str]]:
    """The values of every NXlog in `path`, oldest first, and each log's unit.

    Logs that are not numeric, or whose values have more than one dim
    besides time, are left out with a warning naming them.
    """
    import scippnexus as snx  # the nexus extra: only a NeXus replay needs it

    records: list[WireRecord] = []
    units: dict[str, str] = {}
    with snx.File(path) as nexus:
        for key, group in _nxlogs(nexus, snx):
            try:
                log = group[()]
                records.extend(_records_of(key, log))
            except Exception as error:  # one odd log costs that log alone
                logger.warning("NeXus %s: log %s left out: %s", path, key, error)
                continue
            units[key] = str(log.unit) if log.unit is not None else "dimensionless"
    records.sort(key=lambda record: record.arrived_ns)
    return records, units


def _nxlogs(group: object, snx: object) -> Iterator[tuple[str, object]]:
    for child in group.values():
        if not isinstance(child, snx.Group):
            continue
        if child.nx_class == snx.NXlog:
            yield child.name.lstrip("/"), child
        else:
            yield from _nxlogs(child, snx)


def _records_of(key: str, log: sc.DataArray) -> Iterator[WireRecord]:
    if log.dtype not in _NUMERIC:
        raise ValueError(f"values of dtype {log.dtype} are not a log's")
    if log.ndim > 2 or "time" not in log.dims:
        raise ValueError(f"dims {log.dims} are not (time[, x])")
    times = log.coords["time"]
    if times.dtype == sc.DType.datetime64:
        ns = (times.to(unit="ns").values - _EPOCH).astype(np.int64)
    else:  # seconds from an unknown start: from the epoch
        ns = np.round(times.to(unit="ns", dtype="float64").values).astype(np.int64)
    data = log.data
    for i, t in enumerate(ns.tolist()):
        value = stamped(sc.DataArray(data["time", i].copy()), t)
        yield to_record(Message(key, value, t), t)
