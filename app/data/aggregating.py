"""AggregatingExtractor: a window of frames reduced over time to one frame."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipp as sc

from .extractors import NS_PER_S, Retention, UpdateExtractor

if TYPE_CHECKING:
    from .buffer import BufferSnapshot

Op = Literal[
    "auto", "sum", "mean", "max", "min", "nansum", "nanmean", "nanmax", "nanmin"
]
_OPS = ("auto", "sum", "mean", "max", "min", "nansum", "nanmean", "nanmax", "nanmin")
_INCREMENTAL = ("sum", "mean")
_COUNTS = sc.Unit("counts")


@dataclass(frozen=True)
class AggregatingExtractor(UpdateExtractor):
    """The last `frames` frames, or those of the last `seconds`, reduced over time.

    Give exactly one of `frames` and `seconds` (a time window is chosen as in
    `TimeWindowExtractor`). `op` is one of ``sum``, ``mean``, ``max``, ``min``
    or their ``nan`` variants; ``auto`` sums data in counts and averages the
    rest. The result is one frame: a DataArray of the frames' shape with their
    coords, unit and variances as ``sc.sum``/``sc.mean`` give them, and 0-D
    ``start_time``/``end_time`` coords naming the first and last time covered.

    ``sum`` and ``mean`` are incremental: each extraction adds the frames that
    entered the window since the last one and subtracts those that left, so
    its cost does not grow with the window. The running sums are recomputed
    from the buffer every `recompute_every` frames so float rounding cannot
    drift. Frames with masks, and the other ops, are reduced by scipp anew.
    """

    frames: int | None = None
    seconds: float | None = None
    op: Op = "auto"
    recompute_every: int = 10_000

    def __post_init__(self) -> None:
        if (self.frames is None) == (self.seconds is None):
            raise ValueError("give exactly one of `frames` and `seconds`")
        if self.frames is not None and self.frames < 1:
            raise ValueError(f"window size must be at least 1, got {self.frames}")
        if self.seconds is not None and not self.seconds > 0:
            raise ValueError(f"a time window must be positive, got {self.seconds}")
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {_OPS}, got {self.op!r}")

    def retention(self) -> Retention:
        # Twice the window: frames that left it since the last extraction are
        # still held and can be subtracted instead of summing the window anew.
        if self.frames is not None:
            return Retention(frames=2 * self.frames)
        return Retention(seconds=2 * self.seconds)

    def extract(self, buffer: BufferSnapshot[Any]) -> sc.DataArray:
        first, end = self._window(buffer)
        window = buffer.get_numbered(first, end)
        if isinstance(window, list):
            raise TypeError(
                f"AggregatingExtractor reduces scipp frames, got {type(window[0])}"
            )
        op = self._op_for(window)
        if op in _INCREMENTAL and not (
            isinstance(window, sc.DataArray) and len(window.masks)
        ):
            state = buffer.scratch.setdefault(self, _RunningSum())
            values, variances = state.sum_of(buffer, first, end, self.recompute_every)
            count = end - first
            if op == "mean":
                values = values / count
                variances = None if variances is None else variances / count**2
            data = _variable_like(window, values, variances)
        else:
            data = getattr(sc, op)(window, window.dims[0])
            if isinstance(data, sc.DataArray):
                data = data.data
        return self._frame(buffer, window, data, first, end)

    def _window(self, buffer: BufferSnapshot[Any]) -> tuple[int, int]:
        end = buffer.appended
        if self.frames is not None:
            return max(end - len(buffer), end - self.frames), end
        times = buffer.times()
        cutoff = int(times.max()) - round(self.seconds * NS_PER_S)
        outside = np.flatnonzero(times < cutoff)
        # Incremental sums need a run of frames: a late frame splits nothing,
        # so the window starts after the last frame outside it.
        inside_from = 0 if not len(outside) else int(outside[-1]) + 1
        return end - len(times) + inside_from, end

    def _op_for(self, window: sc.DataArray | sc.Variable) -> str:
        if self.op != "auto":
            return self.op
        return "sum" if window.unit == _COUNTS else "mean"

    @staticmethod
    def _frame(
        buffer: BufferSnapshot[Any],
        window: sc.DataArray | sc.Variable,
        data: sc.Variable,
        first: int,
        end: int,
    ) -> sc.DataArray:
        dim = window.dims[0]
        coords = {}
        if isinstance(window, sc.DataArray):
            coords = {
                name: coord
                for name, coord in window.coords.items()
                if dim not in coord.dims
            }
        times = buffer.times()[len(buffer) - (buffer.appended - first) :][: end - first]
        time_coord = (
            window.coords[dim]
            if isinstance(window, sc.DataArray) and dim in window.coords
            else None
        )
        if time_coord is not None and time_coord.ndim == 1:
            coords["start_time"] = time_coord.min()
            coords["end_time"] = time_coord.max()
        else:
            coords["start_time"] = sc.scalar(np.datetime64(int(times.min()), "ns"))
            coords["end_time"] = sc.scalar(np.datetime64(int(times.max()), "ns"))
        return sc.DataArray(data, coords=coords)


def _variable_like(
    window: sc.DataArray | sc.Variable,
    values: np.ndarray,
    variances: np.ndarray | None,
) -> sc.Variable:
    # The frames' dtype, as scipp's reductions keep it.
    dtype = window.values.dtype if values.dtype.kind != "f" else values.dtype
    if window.values.dtype.kind == "f":
        dtype = window.values.dtype
    return sc.array(
        dims=list(window.dims[1:]),
        values=values.astype(dtype, copy=False),
        variances=None if variances is None else variances.astype(dtype, copy=False),
        unit=window.unit,
    )


class _RunningSum:
    """Sums of values and variances over frames ``[first, end)`` of one history.

    Kept in the buffer's scratch, so equal extractors on a key share it; a
    lock, since a store may be read on a session's thread while ingestion
    extracts for another.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first = 0
        self._end = 0
        self._values: np.ndarray | None = None
        self._variances: np.ndarray | None = None
        self._since_recompute = 0

    def sum_of(
        self, buffer: BufferSnapshot[Any], first: int, end: int, recompute_every: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        with self._lock:
            if (
                self._values is None
                or not self._catch_up(buffer, first, end)
                or self._since_recompute >= recompute_every
            ):
                self._recompute(buffer, first, end)
            # Copies: the running sums change with the next extraction.
            variances = None if self._variances is None else self._variances.copy()
            return self._values.copy(), variances

    def _recompute(self, buffer: BufferSnapshot[Any], first: int, end: int) -> None:
        values, variances = _arrays(buffer.get_numbered(first, end))
        self._values = values.sum(axis=0, dtype=_accumulator(values))
        self._variances = (
            None
            if variances is None
            else variances.sum(axis=0, dtype=_accumulator(variances))
        )
        self._first, self._end, self._since_recompute = first, end, 0

    def _catch_up(self, buffer: BufferSnapshot[Any], first: int, end: int) -> bool:
        if first >= self._end or end <= self._first:
            return False
        entering = [(max(self._end, first), end), (first, self._first)]
        leaving = [(self._first, first), (end, self._end)]
        moves = []
        for (start, stop), sign in [
            *((r, 1) for r in entering),
            *((r, -1) for r in leaving),
        ]:
            if start >= stop:
                continue
            frames = buffer.get_numbered(start, stop)
            if frames is None:
                return False
            moves.append((frames, sign, stop - start))
        for frames, sign, count in moves:
            values, variances = _arrays(frames)
            if sign > 0:
                self._values += values.sum(axis=0, dtype=self._values.dtype)
            else:
                self._values -= values.sum(axis=0, dtype=self._values.dtype)
            if self._variances is not None and variances is not None:
                change = variances.sum(axis=0, dtype=self._variances.dtype)
                self._variances += sign * change
            self._since_recompute += count
        self._first, self._end = first, end
        return True


def _arrays(frames: sc.DataArray | sc.Variable) -> tuple[np.ndarray, np.ndarray | None]:
    return frames.values, frames.variances


def _accumulator(values: np.ndarray) -> np.dtype:
    # Integers sum exactly in int64; floats in float64 whatever their width.
    return np.dtype(np.int64) if values.dtype.kind in "iub" else np.dtype(np.float64)
