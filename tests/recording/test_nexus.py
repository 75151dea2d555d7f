"""Tests of app/recording/nexus.py: NXlog groups of a NeXus file replay as logs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import scipp as sc

from app.recording.replay import ReplaySource

h5py = pytest.importorskip("h5py")
pytest.importorskip("scippnexus")

START = "2026-01-01T00:00:00"
START_NS = int(np.datetime64(START, "ns").astype(np.int64))


def _group(parent: object, name: str, nx_class: str) -> object:
    group = parent.create_group(name)
    group.attrs["NX_class"] = nx_class
    return group


def _nxlog(parent: object, name: str, times_s: list, values: list, unit: str) -> None:
    log = _group(parent, name, "NXlog")
    value = log.create_dataset("value", data=values)
    value.attrs["units"] = unit
    time = log.create_dataset("time", data=times_s)
    time.attrs["units"] = "s"
    time.attrs["start"] = START


@pytest.fixture
def nexus_file(tmp_path: Path) -> Path:
    path = tmp_path / "run.nxs"
    with h5py.File(path, "w") as nexus:
        entry = _group(nexus, "entry", "NXentry")
        sample = _group(entry, "sample", "NXsample")
        _nxlog(sample, "temperature", [0.0, 1.0, 2.0], [290.0, 291.0, 292.0], "K")
        _nxlog(entry, "proton_charge", [0.5, 1.5], [10, 11], "uC")
        _nxlog(entry, "label", [0.0], [b"a"], "")
    return path


def test_nxlogs_replay_as_logs_in_time_order_with_their_units(
    nexus_file: Path,
) -> None:
    source = ReplaySource(nexus_file, speed=math.inf)

    messages = source.get_messages()

    assert [(m.key, (m.timestamp - START_NS) / 1e9) for m in messages] == [
        ("entry/sample/temperature", 0.0),
        ("entry/proton_charge", 0.5),
        ("entry/sample/temperature", 1.0),
        ("entry/proton_charge", 1.5),
        ("entry/sample/temperature", 2.0),
    ]
    first = messages[0].value
    assert sc.identical(
        first,
        sc.DataArray(
            sc.scalar(290.0, unit="K"),
            coords={"time": sc.datetime(START_NS, unit="ns")},
        ),
    )
    assert messages[1].value.unit == "uC"
    assert source.status.replay == "REPLAY max"


def test_a_nexus_replay_is_paced_by_the_logs_times(nexus_file: Path) -> None:
    now = [0]
    source = ReplaySource(nexus_file, speed=2.0, clock=lambda: now[0])

    assert len(source.get_messages()) == 1
    now[0] += 500_000_000  # 1 s of the file
    assert [m.key for m in source.get_messages()] == [
        "entry/proton_charge",
        "entry/sample/temperature",
    ]
