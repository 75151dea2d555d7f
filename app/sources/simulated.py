"""A simulated instrument: the default source, deterministic for a seed."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection

import numpy as np
import scipp as sc

from app.sources.message import Message, SourceStatus, stamped

logger = logging.getLogger(__name__)

DETECTOR = "detector/panel_0"
MONITOR_1 = "monitor/m1"
MONITOR_2 = "monitor/m2"
SAMPLE_TEMPERATURE = "log/sample_temperature"
MOTOR_X = "log/motor_x"
PROTON_CURRENT = "log/proton_current"
SCAN_COUNTS = "detector/scan_counts"

ALL_STREAMS: tuple[str, ...] = (
    DETECTOR,
    MONITOR_1,
    MONITOR_2,
    SAMPLE_TEMPERATURE,
    MOTOR_X,
    PROTON_CURRENT,
    SCAN_COUNTS,
)

LOG_UNITS: dict[str, str] = {
    SAMPLE_TEMPERATURE: "K",
    MOTOR_X: "mm",
    PROTON_CURRENT: "uA",
}
"""Units of the 0-D logs, for transports that do not carry them (f144)."""

DETECTOR_PIXELS = 128
PIXEL_PITCH_MM = 2.0
TOF_BINS = 200
PULSE_PERIOD_US = 71_428.0  # one ESS pulse at 14 Hz
MAX_CATCH_UP_TICKS = 50
"""Ticks emitted at most per call after a stall; older due ticks are skipped."""

_NS_PER_S = 1_000_000_000

SCAN_STEP_MM = 2.0
"""The motor scan's step: ``log/motor_x`` stands on multiples of it."""
SCAN_PEAK_MM = 30.0
"""Where ``detector/scan_counts`` peaks: plotted against ``log/motor_x``, the
counts are highest at this position (a Gaussian of `SCAN_WIDTH_MM`)."""
SCAN_WIDTH_MM = 6.0
SCAN_PEAK_COUNTS = 500.0
SCAN_BACKGROUND_COUNTS = 20.0


def motor_position(elapsed_s: float) -> float:
    """The scan's motor position in mm: back and forth over 0..100 mm in 40 s,
    in steps of `SCAN_STEP_MM`."""
    phase = (elapsed_s / 20.0) % 2.0
    position = 100.0 * (phase if phase <= 1.0 else 2.0 - phase)
    return SCAN_STEP_MM * math.floor(position / SCAN_STEP_MM + 0.5)


def _pixel_centres(name: str) -> sc.Variable:
    half_width = DETECTOR_PIXELS * PIXEL_PITCH_MM / 2
    centres = np.linspace(
        -half_width + PIXEL_PITCH_MM / 2,
        half_width - PIXEL_PITCH_MM / 2,
        DETECTOR_PIXELS,
    )
    return sc.array(dims=[name], values=centres, unit="mm")


class SimulatedInstrument:
    """An instrument that emits detector images, monitor spectra and logs.

    Parameters
    ----------
    seed:
        Seed of the noise; two instruments with the same seed and the same tick
        timestamps emit identical values.
    rate_hz:
        Ticks per second of `clock` time; each tick emits one value per stream.
    streams:
        Keys to emit (a subset of `ALL_STREAMS`); all by default.
    clock:
        Current time in ns since the epoch; `get_messages` emits the ticks it says
        are due.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        rate_hz: float = 5.0,
        streams: Collection[str] | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz must be positive, got {rate_hz}")
        selected = ALL_STREAMS if streams is None else tuple(streams)
        unknown = [key for key in selected if key not in ALL_STREAMS]
        if unknown:
            raise ValueError(
                f"unknown streams {unknown}; the instrument has {list(ALL_STREAMS)}"
            )
        # Keep the instrument's own order, whatever order the caller used.
        self._keys = tuple(key for key in ALL_STREAMS if key in selected)
        self._rate_hz = rate_hz
        self._period_ns = round(_NS_PER_S / rate_hz)
        self._clock = clock
        self._rng = np.random.default_rng(seed)
        self._start_ns: int | None = None
        self._next_tick_ns = clock()
        self._skipped_ticks = 0
        self._x = _pixel_centres("x")
        self._y = _pixel_centres("y")
        self._tof_edges = sc.linspace(
            "tof", 0.0, PULSE_PERIOD_US, TOF_BINS + 1, unit="us"
        )
        self._closed = False

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys this instrument emits, in emission order."""
        return self._keys

    @property
    def skipped_ticks(self) -> int:
        """Due ticks skipped because the caller fell far behind."""
        return self._skipped_ticks

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(
            connected=not self._closed,
            description=f"simulated instrument, {self._rate_hz:.1f} Hz",
        )

    def get_messages(self) -> list[Message]:
        """The ticks due by `clock` since the last call (at most the newest 50)."""
        if self._closed:
            return []
        now = self._clock()
        due = (now - self._next_tick_ns) // self._period_ns + 1
        if due <= 0:
            return []
        if due > MAX_CATCH_UP_TICKS:
            # Show the present: a stalled caller gets the newest ticks, not a lag.
            skipped = due - MAX_CATCH_UP_TICKS
            self._skipped_ticks += skipped
            self._next_tick_ns += skipped * self._period_ns
            logger.warning("simulated instrument skipped %d due ticks", skipped)
            due = MAX_CATCH_UP_TICKS
        messages: list[Message] = []
        for _ in range(due):
            messages.extend(self.tick(self._next_tick_ns))
            self._next_tick_ns += self._period_ns
        return messages

    def close(self) -> None:
        self._closed = True

    def tick(self, timestamp_ns: int) -> list[Message]:
        """One value per stream, all stamped with `timestamp_ns`."""
        if self._start_ns is None:
            self._start_ns = timestamp_ns
        elapsed_s = (timestamp_ns - self._start_ns) / _NS_PER_S
        makers = {
            DETECTOR: self._detector_image,
            MONITOR_1: lambda t: self._monitor_spectrum(t, scale=2_000.0),
            MONITOR_2: lambda t: self._monitor_spectrum(t, scale=500.0),
            SAMPLE_TEMPERATURE: self._sample_temperature,
            MOTOR_X: self._motor_position,
            PROTON_CURRENT: self._proton_current,
            SCAN_COUNTS: self._scan_counts,
        }
        return [
            Message(
                key=key,
                value=stamped(makers[key](elapsed_s), timestamp_ns),
                timestamp=timestamp_ns,
            )
            for key in self._keys
        ]

    def _detector_image(self, elapsed_s: float) -> sc.DataArray:
        # A peak circling the beam centre once a minute over a flat background.
        angle = 2 * math.pi * elapsed_s / 60.0
        peak_x = 60.0 * math.cos(angle)
        peak_y = 60.0 * math.sin(angle)
        x = self._x.values[np.newaxis, :]
        y = self._y.values[:, np.newaxis]
        expected = 2.0 + 80.0 * np.exp(
            -((x - peak_x) ** 2 + (y - peak_y) ** 2) / (2 * 15.0**2)
        )
        counts = self._rng.poisson(expected).astype(np.float64)
        return sc.DataArray(
            sc.array(dims=["y", "x"], values=counts, unit="counts"),
            coords={"x": self._x, "y": self._y},
        )

    def _monitor_spectrum(self, elapsed_s: float, *, scale: float) -> sc.DataArray:
        # A Maxwellian-like pulse shape whose intensity follows a slow beam drift.
        edges = self._tof_edges.values
        centres = 0.5 * (edges[1:] + edges[:-1]) / PULSE_PERIOD_US
        shape = centres**2 * np.exp(-((centres / 0.25) ** 2))
        intensity = scale * (1.0 + 0.1 * math.sin(2 * math.pi * elapsed_s / 30.0))
        expected = intensity * shape / shape.max()
        counts = self._rng.poisson(expected).astype(np.float64)
        return sc.DataArray(
            sc.array(dims=["tof"], values=counts, variances=counts, unit="counts"),
            coords={"tof": self._tof_edges},
        )

    def _sample_temperature(self, elapsed_s: float) -> sc.DataArray:
        drift = 295.0 + 5.0 * math.sin(2 * math.pi * elapsed_s / 300.0)
        return sc.DataArray(
            sc.scalar(
                drift + self._rng.normal(0.0, 0.05), unit=LOG_UNITS[SAMPLE_TEMPERATURE]
            )
        )

    def _motor_position(self, elapsed_s: float) -> sc.DataArray:
        return sc.DataArray(
            sc.scalar(motor_position(elapsed_s), unit=LOG_UNITS[MOTOR_X])
        )

    def _scan_counts(self, elapsed_s: float) -> sc.DataArray:
        # A detector's counts in one tick, highest with the motor at the peak.
        offset = motor_position(elapsed_s) - SCAN_PEAK_MM
        expected = SCAN_BACKGROUND_COUNTS + SCAN_PEAK_COUNTS * math.exp(
            -(offset**2) / (2 * SCAN_WIDTH_MM**2)
        )
        counts = float(self._rng.poisson(expected))
        return sc.DataArray(sc.scalar(counts, variance=counts, unit="counts"))

    def _proton_current(self, elapsed_s: float) -> sc.DataArray:
        # A beam trip of 5 s every two minutes, so plots show the beam going away.
        beam_on = (elapsed_s % 120.0) < 115.0
        noise = self._rng.normal(0.0, 20.0)
        current = 2000.0 + noise if beam_on else abs(noise) / 100.0
        return sc.DataArray(sc.scalar(current, unit=LOG_UNITS[PROTON_CURRENT]))
