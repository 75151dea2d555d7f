"""Tests of app/sources/message.py."""

from __future__ import annotations

import dataclasses

import pytest
import scipp as sc

from app.sources.message import Message, MessageSource, stamped, time_coord
from app.sources.simulated import SimulatedInstrument


def test_message_is_frozen() -> None:
    message = Message(key="k", value=1, timestamp=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.key = "other"  # type: ignore[misc]


def test_time_coord_is_0d_datetime64_ns() -> None:
    coord = time_coord(1_700_000_000_123_456_789)
    assert coord.ndim == 0
    assert coord.dtype == sc.DType.datetime64
    assert coord.unit == "ns"
    assert coord.value.astype(int) == 1_700_000_000_123_456_789


def test_stamped_puts_the_timestamp_on_a_data_array() -> None:
    value = stamped(sc.DataArray(sc.scalar(1.0, unit="K")), 42)
    assert sc.identical(value.coords["time"], sc.datetime(42, unit="ns"))


def test_simulated_instrument_is_a_message_source() -> None:
    assert isinstance(SimulatedInstrument(seed=0), MessageSource)
