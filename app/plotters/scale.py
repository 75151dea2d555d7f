"""Ranges of values (a y axis, a colour bar): automatic without jumps, or fixed.

An automatic range grows at once when data leaves it and shrinks only when
the data of the last few seconds used less than half of it (decision 040),
so colours and axes change a few times, not every frame.
"""

from __future__ import annotations

import math

import numpy as np

MARGIN = 0.05
"""Share of the data's span added on either side when a range is chosen."""

SHRINK_AFTER_NS = 5_000_000_000
"""How long the data must have used a small part of the range before it shrinks."""

SHRINK_BELOW = 0.5
"""The range shrinks when the recent data's span is below this share of it."""

Extent = tuple[float, float]


def extent_of(values: np.ndarray, *, log: bool) -> Extent | None:
    """Return the finite ``(min, max)`` of ``values`` (only > 0 if log), or None."""
    values = np.asarray(values, dtype=np.float64)
    if log:
        values = np.where(values > 0, values, np.nan)
    if values.size == 0 or np.isnan(values).all():
        return None
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if not (math.isfinite(low) and math.isfinite(high)):
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return None
        low, high = float(finite.min()), float(finite.max())
    return low, high


def default_range(*, log: bool) -> Extent:
    """The range shown before any data."""
    return (1.0, 10.0) if log else (0.0, 1.0)


def _union(a: Extent | None, b: Extent | None) -> Extent | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), max(a[1], b[1])


class AutoRange:
    """A range that takes in new data at once and lets go of old data slowly.

    Works in decades on a log scale, so margins and spans mean the same
    there. Call `update` once per frame with the extent of the data shown.

    Parameters
    ----------
    log:
        Whether the range is for a log scale (only positive values count).
    """

    def __init__(self, *, log: bool = False) -> None:
        self.log = log
        self._range: Extent | None = None
        self._recent: Extent | None = None
        self._since_ns = 0

    @property
    def range(self) -> Extent:
        """The range to show now."""
        if self._range is None:
            return default_range(log=self.log)
        return self._from_scale(self._range)

    def reset(self, *, log: bool | None = None) -> None:
        """Forget the data seen so far (new history, other scale)."""
        if log is not None:
            self.log = log
        self._range = self._recent = None

    def seed(self, shown: Extent, now_ns: int) -> None:
        """Start from the range shown now (kept across a change of scale)."""
        self._range = self._to_scale(shown)
        self._recent, self._since_ns = None, now_ns

    def update(self, data: Extent | None, now_ns: int) -> Extent:
        """Take in the extent of the data shown now; return the range to show."""
        data = self._to_scale(data)
        if data is None:
            return self.range
        if self._range is None:
            self._range, self._recent, self._since_ns = self._padded(data), data, now_ns
            return self.range
        self._recent = _union(self._recent, data)
        low, high = self._range
        # Only the side the data left moves, by the margin of the recent data.
        wanted = self._padded(self._recent)
        if data[0] < low:
            low = wanted[0]
        if data[1] > high:
            high = wanted[1]
        self._range = low, high
        if now_ns - self._since_ns >= SHRINK_AFTER_NS:
            recent_span = self._recent[1] - self._recent[0]
            if recent_span < SHRINK_BELOW * (self._range[1] - self._range[0]):
                self._range = self._padded(self._recent)
            self._recent, self._since_ns = data, now_ns
        return self.range

    def _padded(self, extent: Extent) -> Extent:
        low, high = extent
        span = high - low
        if span > 0:
            pad = MARGIN * span
        elif self.log:
            pad = 0.5  # decades
        else:
            pad = 0.01 * abs(low) or 0.5
        return low - pad, high + pad

    def _to_scale(self, data: Extent | None) -> Extent | None:
        if data is None or not self.log:
            return data
        if data[0] <= 0:
            return None
        return math.log10(data[0]), math.log10(data[1])

    def _from_scale(self, extent: Extent) -> Extent:
        if not self.log:
            return extent
        return 10.0 ** extent[0], 10.0 ** extent[1]
