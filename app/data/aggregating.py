"""AggregatingExtractor: a window of frames reduced over time to one frame."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipp as sc

from app.data.buffer import inside_variable
from app.data.extractors import NS_PER_S, Retention, UpdateExtractor

if TYPE_CHECKING:
    from app.data.buffer import BufferSnapshot

Op = Literal[
    "auto", "sum", "mean", "max", "min", "nansum", "nanmean", "nanmax", "nanmin"
]
_OPS = ("auto", "sum", "mean", "max", "min", "nansum", "nanmean", "nanmax", "nanmin")
_INCREMENTAL = ("sum", "mean")
_COUNTS = sc.Unit("counts")
_NS = sc.scalar(0, unit="ns", dtype="int64")
_NS_UNIT = sc.Unit("ns")


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
    A result is never changed after it is handed out; like every extracted
    value it is shared, so a subscriber must not change it either.
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
        # Running sums read frame by frame, so the frames need not be stacked.
        by_reference = self.op in ("auto", *_INCREMENTAL)
        if self.frames is not None:
            return Retention(frames=2 * self.frames, by_reference=by_reference)
        return Retention(seconds=2 * self.seconds, by_reference=by_reference)

    def extract(self, buffer: BufferSnapshot[Any]) -> sc.DataArray:
        first, end, inside = self._window(buffer)
        if inside is not None:
            return self._reduce_late(buffer, inside)
        state = buffer.scratch.get(self)
        if state is None:
            state = buffer.scratch.setdefault(self, _RunningSum())
        result = state.result
        if result is None:
            # A history's frames share their layout, so the result's is learnt
            # once, from one frame (frames kept by reference stack as a copy).
            window = buffer.get_numbered(end - 1, end)
            if isinstance(window, list):
                raise TypeError(
                    f"AggregatingExtractor reduces scipp frames, got {type(window[0])}"
                )
            result = state.result = _Result.of(window, self._op_for(window))
        if result.incremental:
            return result.frame(
                buffer, first, end, state.sums_into(buffer, first, end, self, result)
            )
        window = buffer.get_numbered(first, end)
        times = buffer.times()[len(buffer) - (buffer.appended - first) :][: end - first]
        return self._frame(window, self._reduce(window, result.op), times)

    def _window(self, buffer: BufferSnapshot[Any]) -> tuple[int, int, Any]:
        """Frames ``[first, end)`` of the window, or the times inside it.

        The times (a boolean mask over the frames held) only when a frame
        that arrived late splits the frames inside into more than one run.
        """
        end = buffer.appended
        if self.frames is not None:
            return max(end - len(buffer), end - self.frames), end, None
        times = buffer.times()
        inside = times >= int(times.max()) - round(self.seconds * NS_PER_S)
        # The frames inside, as in `TimeWindowExtractor`; usually the newest run.
        first_inside = int(np.argmax(inside))
        if inside[first_inside:].all():
            return end - len(times) + first_inside, end, None
        return end, end, inside

    def _reduce_late(
        self, buffer: BufferSnapshot[Any], inside: np.ndarray
    ) -> sc.DataArray:
        """Reduce exactly the frames inside, anew: late frames split them."""
        window = buffer.get_all()
        if isinstance(window, list):
            raise TypeError(
                f"AggregatingExtractor reduces scipp frames, got {type(window[0])}"
            )
        window = window[inside_variable(inside, window)].copy()
        op = self._op_for(window)
        return self._frame(window, self._reduce(window, op), buffer.times()[inside])

    @staticmethod
    def _reduce(window: sc.DataArray | sc.Variable, op: str) -> sc.Variable:
        data = getattr(sc, op)(window, window.dims[0])
        return data.data if isinstance(data, sc.DataArray) else data

    def _op_for(self, window: sc.DataArray | sc.Variable) -> str:
        if self.op != "auto":
            return self.op
        return "sum" if window.unit == _COUNTS else "mean"

    @staticmethod
    def _frame(
        window: sc.DataArray | sc.Variable, data: sc.Variable, times: np.ndarray
    ) -> sc.DataArray:
        """`data` with the window's coords and the first and last time covered."""
        dim = window.dims[0]
        coords = {}
        if isinstance(window, sc.DataArray):
            coords = {
                name: coord
                for name, coord in window.coords.items()
                if dim not in coord.dims
            }
        time_coord = (
            window.coords[dim]
            if isinstance(window, sc.DataArray) and dim in window.coords
            else None
        )
        if time_coord is not None and time_coord.ndim == 1:
            coords["start_time"] = time_coord.min()
            coords["end_time"] = time_coord.max()
        else:
            # Not `sc.scalar(np.datetime64(...))`: ~45 us against ~7.
            coords["start_time"] = sc.datetime(int(times.min()), unit=_NS_UNIT)
            coords["end_time"] = sc.datetime(int(times.max()), unit=_NS_UNIT)
        return sc.DataArray(data, coords=coords)


@dataclass(frozen=True)
class _Result:
    """What every aggregate of one history shares: layout, coords, the op.

    Learnt from the first window, so later extractions build the result
    without slicing or iterating scipp objects (each costs tens of us).
    """

    op: str
    incremental: bool
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    unit: Any
    # scipp's dtype: `sc.empty` converts a numpy dtype for ~4.5 us per result.
    dtype: sc.DType
    has_variances: bool
    coords: dict[str, sc.Variable]
    # How `start_time`/`end_time` are made from ns: "datetime", "int" or
    # None (the frames' time is in another unit: read from the window).
    time_kind: str | None
    # Whether the result is the running sum itself: a sum whose dtype is the
    # accumulator's (see `_RunningSum.sums_into`).
    chains: bool = False

    @classmethod
    def of(cls, window: sc.DataArray | sc.Variable, op: str) -> _Result:
        dim = window.dims[0]
        coords, masked, time_kind = {}, False, "datetime"
        if isinstance(window, sc.DataArray):
            coords = {
                name: coord
                for name, coord in window.coords.items()
                if dim not in coord.dims
            }
            masked = bool(len(window.masks))
            if dim in window.coords:
                time = window.coords[dim]
                time_kind = None
                if time.unit == sc.units.ns and time.dtype == sc.DType.int64:
                    time_kind = "int"
                elif time.unit == sc.units.ns and time.dtype == sc.DType.datetime64:
                    time_kind = "datetime"
        values = window.values
        frame_dtype = values.dtype
        if frame_dtype.kind != "f" and op == "mean":
            frame_dtype = np.dtype(np.float64)
        incremental = op in _INCREMENTAL and not masked
        return cls(
            op=op,
            incremental=incremental,
            dims=tuple(window.dims[1:]),
            shape=tuple(values.shape[1:]),
            unit=window.unit,
            dtype=sc.DType(frame_dtype),
            has_variances=window.variances is not None,
            coords=coords,
            time_kind=time_kind,
            chains=incremental and op == "sum" and frame_dtype == _accumulator(values),
        )

    def empty(self) -> sc.Variable:
        return sc.empty(
            dims=self.dims,
            shape=self.shape,
            unit=self.unit,
            dtype=self.dtype,
            with_variances=self.has_variances,
        )

    def write(
        self,
        data: sc.Variable,
        values: np.ndarray,
        variances: np.ndarray | None,
        count: int,
    ) -> None:
        """Write sums of `count` frames into `data` as the op's result."""
        out = data.values
        if self.op == "mean":
            np.divide(values, count, out=out, casting="unsafe")
        else:
            np.copyto(out, values, casting="unsafe")
        if variances is not None and self.has_variances:
            out = data.variances
            if self.op == "mean":
                np.divide(variances, count**2, out=out, casting="unsafe")
            else:
                np.copyto(out, variances, casting="unsafe")

    def frame(
        self, buffer: BufferSnapshot[Any], first: int, end: int, data: sc.Variable
    ) -> sc.DataArray:
        coords = dict(self.coords)
        if self.time_kind is None:
            window = buffer.get_numbered(first, end)
            time = window.coords[window.dims[0]]
            coords["start_time"] = time.min()
            coords["end_time"] = time.max()
        else:
            times = buffer.times()
            times = times[len(times) - (buffer.appended - first) :][: end - first]
            coords["start_time"] = self._time(int(times.min()))
            coords["end_time"] = self._time(int(times.max()))
        return sc.DataArray(data, coords=coords)

    def _time(self, ns: int) -> sc.Variable:
        # Both spellings cost a sixth of `sc.scalar`'s (~35 us for a datetime).
        if self.time_kind == "int":
            time = _NS.copy()
            time.value = ns
            return time
        return sc.datetime(ns, unit=_NS_UNIT)


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
        self.result: _Result | None = None

    def sums_into(
        self,
        buffer: BufferSnapshot[Any],
        first: int,
        end: int,
        extractor: AggregatingExtractor,
        result: _Result,
    ) -> sc.Variable:
        """The op's result over frames ``[first, end)``, a new Variable."""
        data = result.empty()
        # A sum in the accumulator's dtype is the result itself: the new sums
        # are written into the result's memory, which then holds the running
        # sums and is never written again (decision 014).
        own = None
        if result.chains:
            own = (data.values, data.variances if result.has_variances else None)
        with self._lock:
            sums = None
            if self._values is not None and (
                self._since_recompute < extractor.recompute_every
            ):
                sums = self._catch_up(buffer, first, end, own)
            if sums is None:
                self._recompute(buffer, first, end)
                sums = (self._values, self._variances)
            if sums is not own:
                # Under the lock: the sums move on with the next extraction.
                result.write(data, *sums, end - first)
            if own is not None:
                self._values, self._variances = own
        return data

    def _recompute(self, buffer: BufferSnapshot[Any], first: int, end: int) -> None:
        values, variances = _arrays(buffer, first, end)
        self._values = _total(values)
        self._variances = None if variances is None else _total(variances)
        self._first, self._end, self._since_recompute = first, end, 0

    def _catch_up(
        self,
        buffer: BufferSnapshot[Any],
        first: int,
        end: int,
        out: tuple[np.ndarray, np.ndarray | None] | None,
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Move the sums to frames ``[first, end)``, None unless all are held.

        In place, or, given `out`, into `out` (the sums are then only read).
        Returns the arrays holding the moved sums, the sums themselves if no
        frame entered or left. A history's frames keep their layout (a misfit
        starts a new buffer and scratch), so `out` has variances if the sums do.
        """
        if first >= self._end or end <= self._first:
            return None
        entering = [(max(self._end, first), end), (first, self._first)]
        leaving = [(self._first, first), (end, self._end)]
        moves = []
        for (start, stop), sign in [
            *((r, 1) for r in entering),
            *((r, -1) for r in leaving),
        ]:
            if start >= stop:
                continue
            frames = _arrays(buffer, start, stop)
            if frames is None:
                return None
            moves.append((frames, sign, stop - start))
        sums, source = (self._values, self._variances), (None, None)
        if out is not None and moves:
            # The first move reads the sums and writes `out`, the rest work in
            # `out`: the copy into a result is folded into the first add.
            sums, source = out, sums
        for (values, variances), sign, count in moves:
            _accumulate(sums[0], values, sign, source[0])
            if sums[1] is not None and variances is not None:
                _accumulate(sums[1], variances, sign, source[1])
            source = (None, None)
            self._since_recompute += count
        self._first, self._end = first, end
        return sums


Frames = np.ndarray | list[Any]
"""Values of consecutive frames: stacked, or one array (or scalar) per frame."""


def _total(frames: Frames) -> np.ndarray:
    """The sum of `frames` over time, a new array of the accumulator's dtype."""
    if isinstance(frames, np.ndarray):
        return np.array(frames.sum(axis=0, dtype=_accumulator(frames)))
    total = np.zeros(np.shape(frames[0]), dtype=_accumulator(np.asarray(frames[0])))
    _accumulate(total, frames, 1)
    return total


def _accumulate(
    total: np.ndarray, frames: Frames, sign: int, start: np.ndarray | None = None
) -> None:
    """Add `frames` to `total` in place (`sign` -1: subtract them); to `start`
    if given, writing the result into `total`."""
    combine = np.add if sign > 0 else np.subtract
    source = total if start is None else start
    if isinstance(frames, np.ndarray):
        combine(source, frames.sum(axis=0, dtype=total.dtype), out=total)
        return
    for frame in frames:
        combine(source, frame, out=total)
        source = total


def _arrays(
    buffer: BufferSnapshot[Any], first: int, end: int
) -> tuple[Frames, Frames | None] | None:
    """Values and variances of frames ``[first, end)``, or None unless all are held."""
    arrays = buffer.get_numbered_arrays(first, end)
    if arrays is not None:
        return arrays
    frames = buffer.get_numbered(first, end)
    return None if frames is None else (frames.values, frames.variances)


def _accumulator(values: np.ndarray) -> np.dtype:
    # Integers sum exactly in int64; floats in float64 whatever their width.
    return np.dtype(np.int64) if values.dtype.kind in "iub" else np.dtype(np.float64)
