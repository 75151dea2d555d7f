"""One key's value as of another key's frames: the pairing of "against" plots
and of normalisation (decision 090).

A frame of y is paired with x's value *as of y's time*: the latest x frame
whose time is not after it (equal times pair; of x frames with equal times,
the last to arrive). Frames are taken in arrival order, each once, by their
number in the key's history (`BufferSnapshot.appended`), so a late frame is
paired by its own time as a time window takes it in by its own time.

Data stays scipp, with units and variances, until the plot's last step.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipp as sc

from app.data import Retention
from app.plotters.columns import TIME_DIM, times_ns

RECENT_FRAMES = 256
"""Frames of a key a pairing reads at each notification: frames arriving
faster than the plot draws are all taken up to this many (at 14 Hz, 18 s)."""

X_KEPT = 16_384
"""Frames of x a pairing keeps to look values up in (three float arrays, about
400 kB): a y frame older than all of them finds no value."""


@dataclass(frozen=True)
class Recent:
    """The newest frames of a key at one notification, and their numbers."""

    frames: Any
    """The frames stacked along ``time`` (oldest first), or None."""
    times_ns: np.ndarray
    """Each frame's time, ns since the epoch."""
    appended: int
    """Frames appended to the history so far: the newest is ``appended - 1``."""

    def since(self, seen: int) -> tuple[Any, np.ndarray, int]:
        """The frames numbered ``seen`` and later (all held if the history
        restarted below ``seen``), their times and how many were not held."""
        held = len(self.times_ns)
        if seen > self.appended:
            seen = 0  # a new history (cleared or restarted): take all it holds
        new = self.appended - seen
        take = min(new, held)
        if take == 0 or self.frames is None:
            return None, self.times_ns[:0], 0
        frames = self.frames[TIME_DIM, held - take :]
        return frames, self.times_ns[held - take :], new - take


@dataclass(frozen=True)
class RecentFramesExtractor:
    """An `UpdateExtractor` giving the newest `frames` frames as `Recent`."""

    frames: int = RECENT_FRAMES

    def retention(self) -> Retention:
        return Retention(frames=self.frames)

    def extract(self, buffer: Any) -> Recent:
        window = buffer.get_window(self.frames)
        times = buffer.times()
        count = 0 if window is None else window.sizes[TIME_DIM]
        return Recent(window, np.asarray(times[len(times) - count :]), buffer.appended)


class AsOfHistory:
    """The frames of a 0-D key x seen so far, sorted by time, to look up
    x's value as of any time (the rule in the module's docstring).

    Growing arrays: taking in a frame costs the frame, not the history.
    """

    def __init__(self, key: Hashable, kept: int = X_KEPT) -> None:
        self.key = key
        self._kept = kept
        self._seen = 0
        self._size = 0
        self._times = np.empty(64, dtype=np.int64)
        self._values = np.empty(64)
        self._variances = np.empty(64)
        self._has_variances = False
        self.unit: sc.Unit | None = None

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        """Forget every frame (x's history was cleared)."""
        self._size = 0
        self._seen = 0

    def take(self, recent: Recent) -> None:
        """Take in the frames of x not seen before."""
        if recent.appended < self._seen:
            self.clear()  # a new history of x
        frames, times, _ = recent.since(self._seen)
        self._seen = recent.appended
        if frames is None:
            return
        if frames.ndim != 1:
            raise ValueError(
                f"key {self.key!r}: values to pair with must be 0-D, "
                f"got frames of dims {frames.dims[1:]}"
            )
        self.unit = frames.unit
        variances = frames.variances
        if variances is not None:
            self._has_variances = True
        else:
            variances = np.zeros(len(times))
        self._insert(
            np.asarray(times, dtype=np.int64),
            np.asarray(frames.values, dtype=np.float64),
            np.asarray(variances, dtype=np.float64),
        )

    def _insert(
        self, times: np.ndarray, values: np.ndarray, variances: np.ndarray
    ) -> None:
        n = len(times)
        if self._size + n > len(self._times):
            self._grow(self._size + n)
        end = self._size
        in_order = (n < 2 or bool(np.all(np.diff(times) >= 0))) and (
            end == 0 or times[0] >= self._times[end - 1]
        )
        self._times[end : end + n] = times
        self._values[end : end + n] = values
        self._variances[end : end + n] = variances
        self._size = end + n
        if not in_order:
            # A late frame: sorted into place, after frames of equal time.
            order = np.argsort(self._times[: self._size], kind="stable")
            for array in (self._times, self._values, self._variances):
                array[: self._size] = array[: self._size][order]
        if self._size > 2 * self._kept:
            self._drop(self._size - self._kept)

    def _grow(self, needed: int) -> None:
        capacity = max(needed, 2 * len(self._times))
        for name in ("_times", "_values", "_variances"):
            old = getattr(self, name)
            new = np.empty(capacity, dtype=old.dtype)
            new[: self._size] = old[: self._size]
            setattr(self, name, new)

    def _drop(self, count: int) -> None:
        # Amortised: the oldest half goes at once, not one frame per frame.
        keep = self._size - count
        for array in (self._times, self._values, self._variances):
            array[:keep] = array[count : self._size]
        self._size = keep

    def indices(self, times_ns: np.ndarray) -> np.ndarray:
        """For each time, the index of x's frame as of it; -1 if none."""
        return np.searchsorted(self._times[: self._size], times_ns, side="right") - 1

    def as_of(self, times_ns: np.ndarray) -> sc.Variable:
        """x's values as of `times_ns` along ``time``: NaN where x has none,
        with x's variances if it has any."""
        index = self.indices(np.asarray(times_ns, dtype=np.int64))
        found = index >= 0
        values = np.where(found, self._values[index], np.nan)
        variances = None
        if self._has_variances:
            variances = np.where(found, self._variances[index], np.nan)
        return sc.array(
            dims=[TIME_DIM], values=values, variances=variances, unit=self.unit
        )


def frame_times(value: sc.DataArray) -> np.ndarray:
    """Times of a frame (0-D ``time`` coord) or of stacked frames, ns."""
    if TIME_DIM not in value.coords:
        raise ValueError("a frame paired by time needs a 'time' coord")
    return np.atleast_1d(times_ns(value.coords[TIME_DIM]))


def divided(value: sc.DataArray, divisor: sc.Variable) -> sc.DataArray:
    """``value / divisor`` by scipp: units and variances propagated.

    `divisor` is 0-D, or along ``time`` for stacked frames. Scipp refuses to
    broadcast a value with variances (it would correlate the results), so a
    divisor spread over a frame's other dims divides by its values alone.
    """
    wider = set(value.dims) - set(divisor.dims)
    if wider and divisor.variances is not None:
        divisor = sc.values(divisor)
    return value / divisor


class AsOfKey:
    """A 0-D key paired with a plot's frames: its values as of their times.

    `take` runs on the ingestion thread and keeps the newest extraction;
    `divide` runs where the plot draws, and takes it in first.
    """

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.history = AsOfHistory(key)
        self._lock = threading.Lock()
        self._pending: Any = None
        self._cleared = False
        self.extractor = RecentFramesExtractor()

    def take(self, store: Any) -> None:
        """Keep what a notification holds of the divisor's key."""
        if self.key in getattr(store, "cleared", ()):
            with self._lock:
                self._cleared, self._pending = True, None
        elif self.key in store:
            # Extracted where the plot draws, not on the ingestion thread.
            with self._lock:
                self._pending = store

    def catch_up(self) -> None:
        """Take in the divisor's frames that arrived since the last call."""
        with self._lock:
            pending, self._pending = self._pending, None
            cleared, self._cleared = self._cleared, False
        if cleared:
            self.history.clear()
        if pending is not None:
            self.history.take(pending[self.key])

    def divide(self, value: sc.DataArray) -> sc.DataArray:
        """`value` (a frame, or frames stacked along ``time``) divided by the
        divisor's values as of each frame's time (NaN where it has none)."""
        self.catch_up()
        if not len(self.history):
            raise ValueError(f"no value of {self.key!r} to divide by yet")
        times = frame_times(value)
        divisor = self.history.as_of(times)
        if TIME_DIM not in value.dims:
            divisor = divisor[TIME_DIM, 0]
        return divided(value, divisor)
