"""Tests of app/sources/simulated.py."""

from __future__ import annotations

import numpy as np
import pytest
import scipp as sc

from app.sources.simulated import (
    ALL_STREAMS,
    DETECTOR_PIXELS,
    MAX_CATCH_UP_TICKS,
    MOTOR_X,
    SCAN_COUNTS,
    SCAN_PEAK_MM,
    SCAN_STEP_MM,
    TOF_BINS,
    SimulatedInstrument,
)

T0 = 1_700_000_000_000_000_000
PERIOD_NS = 200_000_000  # 5 Hz


class ManualClock:
    def __init__(self, now_ns: int) -> None:
        self.now_ns = now_ns

    def __call__(self) -> int:
        return self.now_ns


def values_by_key(instrument: SimulatedInstrument, timestamp: int) -> dict:
    return {m.key: m.value for m in instrument.tick(timestamp)}


def test_same_seed_gives_identical_values() -> None:
    first, second = SimulatedInstrument(seed=7), SimulatedInstrument(seed=7)
    for i in range(3):
        a = values_by_key(first, T0 + i * PERIOD_NS)
        b = values_by_key(second, T0 + i * PERIOD_NS)
        assert a.keys() == b.keys()
        for key in a:
            assert sc.identical(a[key], b[key]), key


def test_other_seed_gives_other_noise() -> None:
    a = values_by_key(SimulatedInstrument(seed=1), T0)
    b = values_by_key(SimulatedInstrument(seed=2), T0)
    assert not sc.identical(a["detector/panel_0"], b["detector/panel_0"])


def test_tick_emits_every_stream_with_its_timestamp() -> None:
    messages = SimulatedInstrument(seed=0).tick(T0)
    assert [m.key for m in messages] == list(ALL_STREAMS)
    for message in messages:
        assert message.timestamp == T0
        assert sc.identical(message.value.coords["time"], sc.datetime(T0, unit="ns"))


def test_detector_image_is_2d_counts_with_pixel_positions_in_mm() -> None:
    image = values_by_key(SimulatedInstrument(seed=0), T0)["detector/panel_0"]
    assert image.dims == ("y", "x")
    assert image.shape == (DETECTOR_PIXELS, DETECTOR_PIXELS)
    assert image.unit == "counts"
    assert image.coords["x"].unit == "mm"
    assert image.coords["y"].unit == "mm"
    assert image.coords["x"].sizes == {"x": DETECTOR_PIXELS}
    assert np.all(image.values >= 0)
    assert np.all(image.values == np.round(image.values))  # Poisson counts


def test_detector_peak_moves_over_time() -> None:
    instrument = SimulatedInstrument(seed=0)
    start = values_by_key(instrument, T0)["detector/panel_0"]
    later = values_by_key(instrument, T0 + 15 * 10**9)["detector/panel_0"]

    def peak(image: sc.DataArray) -> tuple[int, ...]:
        return np.unravel_index(np.argmax(image.values), image.shape)

    distance = np.hypot(*np.subtract(peak(start), peak(later)))
    assert distance > 20  # a quarter turn of a 60 mm circle in 2 mm pixels


@pytest.mark.parametrize("key", ["monitor/m1", "monitor/m2"])
def test_monitor_is_tof_histogram_with_variances(key: str) -> None:
    spectrum = values_by_key(SimulatedInstrument(seed=0), T0)[key]
    assert spectrum.dims == ("tof",)
    assert spectrum.sizes["tof"] == TOF_BINS
    assert spectrum.unit == "counts"
    assert spectrum.coords["tof"].unit == "us"
    assert spectrum.coords.is_edges("tof")
    assert spectrum.variances is not None
    np.testing.assert_array_equal(spectrum.variances, spectrum.values)
    assert spectrum.sum().value > 0


@pytest.mark.parametrize(
    ("key", "unit"),
    [
        ("log/sample_temperature", "K"),
        ("log/motor_x", "mm"),
        ("log/proton_current", "uA"),
    ],
)
def test_logs_are_0d_with_units(key: str, unit: str) -> None:
    log = values_by_key(SimulatedInstrument(seed=0), T0)[key]
    assert log.ndim == 0
    assert log.unit == unit
    assert log.dtype == sc.DType.float64


def test_sample_temperature_drifts_near_room_temperature() -> None:
    instrument = SimulatedInstrument(seed=0, streams=["log/sample_temperature"])
    temperatures = [instrument.tick(T0 + i * 10**10)[0].value.value for i in range(10)]
    assert all(285 < t < 305 for t in temperatures)
    assert len(set(temperatures)) == 10


def test_streams_selects_keys_in_instrument_order() -> None:
    instrument = SimulatedInstrument(streams=["log/motor_x", "monitor/m1"])
    assert instrument.keys == ("monitor/m1", "log/motor_x")
    assert [m.key for m in instrument.tick(T0)] == ["monitor/m1", "log/motor_x"]


def test_unknown_stream_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match="monitor/m9"):
        SimulatedInstrument(streams=["monitor/m9"])


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate_hz"):
        SimulatedInstrument(rate_hz=0)


def test_get_messages_emits_the_ticks_due_by_the_clock() -> None:
    clock = ManualClock(T0)
    instrument = SimulatedInstrument(
        seed=0, rate_hz=5.0, streams=["log/motor_x"], clock=clock
    )

    assert [m.timestamp for m in instrument.get_messages()] == [T0]
    assert instrument.get_messages() == []
    clock.now_ns = T0 + PERIOD_NS - 1
    assert instrument.get_messages() == []
    clock.now_ns = T0 + 3 * PERIOD_NS
    assert [m.timestamp for m in instrument.get_messages()] == [
        T0 + PERIOD_NS,
        T0 + 2 * PERIOD_NS,
        T0 + 3 * PERIOD_NS,
    ]


def test_get_messages_after_a_stall_emits_only_the_newest_ticks() -> None:
    clock = ManualClock(T0)
    instrument = SimulatedInstrument(streams=["log/motor_x"], clock=clock)
    instrument.get_messages()
    clock.now_ns = T0 + 1000 * PERIOD_NS

    timestamps = [m.timestamp for m in instrument.get_messages()]

    assert len(timestamps) == MAX_CATCH_UP_TICKS
    assert timestamps[-1] == T0 + 1000 * PERIOD_NS
    assert instrument.skipped_ticks == 1000 - MAX_CATCH_UP_TICKS


def test_closed_instrument_emits_nothing_and_says_so() -> None:
    clock = ManualClock(T0)
    instrument = SimulatedInstrument(clock=clock)
    assert instrument.status.connected
    assert "5.0 Hz" in instrument.status.description
    instrument.close()
    assert instrument.get_messages() == []
    assert not instrument.status.connected


def test_the_scan_counts_peak_where_the_motor_stands_at_the_known_position() -> None:
    instrument = SimulatedInstrument(seed=3, streams=[MOTOR_X, SCAN_COUNTS])
    counts_at: dict[float, list[float]] = {}
    for tick in range(200):  # 40 s at 5 Hz: the motor's whole way there and back
        motor, counts = instrument.tick(T0 + tick * 200_000_000)
        counts_at.setdefault(motor.value.value, []).append(counts.value.value)
    positions = sorted(counts_at)
    assert all(p % SCAN_STEP_MM == 0 for p in positions)
    means = [sum(counts_at[p]) / len(counts_at[p]) for p in positions]
    assert positions[means.index(max(means))] == pytest.approx(SCAN_PEAK_MM, abs=2)
