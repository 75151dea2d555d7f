"""Storage for scipp frames: DataArrays and Variables stacked along `concat_dim`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
import scipp as sc

from app.data.buffer import FrameMismatchError

# dtypes whose `.values` is a writable numpy view, so frames are copied with numpy.
_NUMERIC = (
    sc.DType.float64,
    sc.DType.float32,
    sc.DType.int64,
    sc.DType.int32,
    sc.DType.bool,
    sc.DType.datetime64,
)


@dataclass(frozen=True)
class VariableLayout:
    """What every frame of a stack shares: dims, shape, dtype, unit, variances."""

    dims: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: Any
    unit: Any
    has_variances: bool
    # numpy's dtype of `.values`: comparing it is ten times cheaper than scipp's.
    numpy_dtype: np.dtype

    @classmethod
    def of(cls, frame: sc.Variable | sc.DataArray) -> VariableLayout:
        return cls(
            dims=frame.dims,
            shape=frame.shape,
            dtype=frame.dtype,
            unit=frame.unit,
            has_variances=frame.variances is not None,
            numpy_dtype=np.asarray(frame.values).dtype,
        )

    def read(
        self, data: sc.Variable | sc.DataArray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Values and variances of `data`, which must be laid out like this.

        Raises
        ------
        FrameMismatchError
            If it is not.
        """
        return _read_data(self, data)

    def mismatch(self, frame: sc.Variable | sc.DataArray) -> str | None:
        """Why `frame` is laid out differently, or None."""
        if frame.dims != self.dims:
            return f"expected dims {self.dims}, got {frame.dims}"
        if frame.shape != self.shape:
            return f"expected shape {self.shape}, got {frame.shape}"
        if frame.dtype != self.dtype:
            return f"expected dtype {self.dtype}, got {frame.dtype}"
        if frame.unit != self.unit:
            return f"expected unit {self.unit}, got {frame.unit}"
        if (frame.variances is None) == self.has_variances:
            expected = "with" if self.has_variances else "without"
            return f"expected values {expected} variances"
        return None

    def empty_stack(self, concat_dim: str, capacity: int) -> sc.Variable:
        return sc.empty(
            dims=(concat_dim, *self.dims),
            shape=(capacity, *self.shape),
            dtype=self.dtype,
            unit=self.unit,
            with_variances=self.has_variances,
        )


def _read_data(
    layout: VariableLayout, data: sc.Variable | sc.DataArray
) -> tuple[np.ndarray, np.ndarray | None]:
    """Values and variances of `data`, checked against `layout` (see `read`).

    A DataArray is read directly: going through `.data` costs a Variable. Each
    scipp property costs ~0.5 us, so numpy's views answer what they can
    (decision 012); 0-D data is read as a numpy scalar (`.value`, whose dtype
    is the frame's, decision 015) and skips `dims` (its shape says none).
    """
    try:
        if layout.shape:
            values = data.values
            fits = values.shape == layout.shape and data.dims == layout.dims
        else:
            values = data.value  # raises DimensionError unless 0-D
            fits = True
        variances = data.variances
        if (
            not fits
            or values.dtype != layout.numpy_dtype
            or (variances is None) == layout.has_variances
            or data.unit != layout.unit
        ):
            raise FrameMismatchError(layout.mismatch(data) or "layout differs")
    except (sc.DimensionError, AttributeError, TypeError):
        # Binned data (its `values` are not a numpy array), or not 0-D.
        raise FrameMismatchError(layout.mismatch(data) or "layout differs") from None
    return values, variances


def _unstackable(frame: Any, concat_dim: str, kind: type) -> str | None:
    if not isinstance(frame, kind):
        return f"expected a {kind.__name__}, got {type(frame).__name__}"
    if frame.bins is not None:
        return "binned data cannot be stacked"
    if concat_dim in frame.dims:
        return f"value already has the stacking dimension {concat_dim!r}"
    if frame.dtype not in _NUMERIC:
        return f"dtype {frame.dtype} cannot be stacked"
    return None


def _copy_data(
    source: VariableStack | DataArrayStack,
    start: int,
    end: int,
    target: VariableStack | DataArrayStack,
    target_start: int,
) -> None:
    stop = target_start + end - start
    target.values[target_start:stop] = source.values[start:end]
    if target.variances is not None:
        target.variances[target_start:stop] = source.variances[start:end]


def _arrays(
    storage: VariableStack | DataArrayStack, start: int, end: int
) -> tuple[np.ndarray, np.ndarray | None]:
    variances = storage.variances
    return (
        storage.values[start:end],
        None if variances is None else variances[start:end],
    )


@dataclass
class VariableStack:
    """Slots of a `VariableBuffer`: one Variable and numpy views on it."""

    layout: VariableLayout
    variable: sc.Variable
    values: np.ndarray
    variances: np.ndarray | None
    nbytes: int = 0


class VariableBuffer:
    """Stacks `sc.Variable` frames along `concat_dim`."""

    fixed_slot_bytes = True

    def __init__(self, concat_dim: str = "time") -> None:
        self._concat_dim = concat_dim

    def accepts(self, frame: sc.Variable) -> str | None:
        return _unstackable(frame, self._concat_dim, sc.Variable)

    def allocate(self, template: sc.Variable, capacity: int) -> VariableStack:
        return self._allocate(VariableLayout.of(template), capacity)

    def allocate_like(self, storage: VariableStack, capacity: int) -> VariableStack:
        return self._allocate(storage.layout, capacity)

    def _allocate(self, layout: VariableLayout, capacity: int) -> VariableStack:
        variable = layout.empty_stack(self._concat_dim, capacity)
        return VariableStack(
            layout,
            variable,
            variable.values,
            variable.variances,
            variable.underlying_size(),
        )

    def check(self, storage: VariableStack, frame: sc.Variable) -> None:
        self._read(storage, frame)

    def _read(
        self, storage: VariableStack, frame: sc.Variable
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if not isinstance(frame, sc.Variable):
            raise FrameMismatchError(f"expected a Variable, got {type(frame).__name__}")
        return storage.layout.read(frame)

    def read_frame(
        self, storage: VariableStack, frame: sc.Variable
    ) -> tuple[np.ndarray, np.ndarray | None, None]:
        """Values, variances and (no) timestamp of `frame`, checked as `write`
        checks it."""
        return (*self._read(storage, frame), None)

    def write(self, storage: VariableStack, index: int, frame: sc.Variable) -> None:
        values, variances = self._read(storage, frame)
        storage.values[index] = values
        if variances is not None:
            storage.variances[index] = variances

    def copy_frames(
        self,
        source: VariableStack,
        start: int,
        end: int,
        target: VariableStack,
        target_start: int,
    ) -> None:
        _copy_data(source, start, end, target, target_start)

    def get_arrays(
        self, storage: VariableStack, start: int, end: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Values and variances of slots ``[start, end)``, numpy views."""
        return _arrays(storage, start, end)

    def get_view(self, storage: VariableStack, start: int, end: int) -> sc.Variable:
        return storage.variable[self._concat_dim, start:end]

    def get_frame(self, storage: VariableStack, index: int) -> sc.Variable:
        return storage.variable[self._concat_dim, index]

    def times(self, storage: VariableStack) -> np.ndarray | None:
        return None

    def nbytes(self, storage: VariableStack) -> int:
        return storage.nbytes

    def frame_nbytes(self, frame: sc.Variable) -> int:
        return frame.underlying_size()


def _reads_as_ns(unit: Any, kind: str) -> bool:
    """Whether timestamps in `unit` with numpy dtype kind `kind` are int64 ns
    since the epoch as they are stored. A unit that is not a time (or none)
    counts as ns."""
    # `unit == None` costs ~3 us in scipp (a failed overload), so None apart.
    return kind in "iM" and (
        unit is None or unit == sc.units.ns or unit == sc.units.one
    )


def _as_ns(times: np.ndarray, unit: Any) -> np.ndarray:
    """`times`, stored in `unit`, as a copy in int64 ns since the epoch."""
    try:
        factor = sc.scalar(1.0, unit=unit).to(unit="ns").value
    except sc.UnitError:
        factor = 1.0
    values = times.view(np.int64) if times.dtype.kind == "M" else times
    if values.dtype.kind in "iu" and factor >= 1 and float(factor).is_integer():
        # Whole ns per unit: exact in int64, where float64 would round a
        # timestamp of today to a multiple of 256 ns.
        return values.astype(np.int64) * int(factor)
    return (values * factor).astype(np.int64)


# What reading a timestamp that is not 0-D, or not of the stack's dtype or
# unit, raises.
_TIME_MISFITS = (
    sc.DimensionError,
    sc.DTypeError,
    sc.UnitError,
    AttributeError,
    TypeError,
)

_SCIPP_MEMORY = type(sc.scalar(0.0).values.base)
"""The type of what owns a Variable's memory: the `base` of its `.values`."""


@dataclass(frozen=True)
class KnownCoord:
    """A frame's coord found identical to the stored one, kept to recognise it.

    A later frame whose coord is a view of the same memory (`base` is the same
    object), with the same dims, shape and alignment, holds the same values:
    producers never change a value they handed over (decisions 001, 012).
    Holding `coord` keeps that memory alive, so `base` cannot be reused.
    """

    coord: sc.Variable
    base: Any
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    aligned: bool


@dataclass(frozen=True, slots=True)
class FramePlan:
    """What `DataArrayBuffer._read` checks a frame's coords, timestamp and masks
    against, derived once per layout: a slotted object, since each attribute
    of the layout itself costs as much to read as a comparison on the path
    every frame takes (its data is checked by `_read_data`)."""

    shared: tuple[str, ...]
    """Names of the coords stored once."""
    coord_count: int
    """How many coords a frame has."""
    time_name: str | None
    """The timestamp coord's name (the concat dim), None if frames have none."""
    time_numpy_dtype: np.dtype | None
    """numpy's dtype of the timestamp's `.value`."""
    time_aligned: bool | None
    time_unit: Any
    time_epoch: sc.Variable | None
    """The epoch in the timestamps' unit if they are datetimes, else None."""
    masked: bool
    """Whether frames have masks."""


@dataclass
class StackNotes:
    """What the stacks of one history learn from its frames, shared by all of
    them and changed as frames arrive (their `DataArrayLayout` never changes)."""

    known_coords: dict[str, KnownCoord] = field(default_factory=dict)
    """Per shared coord, the last frame's coord found identical (`KnownCoord`)."""
    fixed_nbytes: int | None = None
    """What scipp counts for a stack beside its slots (objects, shared coords),
    taken from the history's first stack (see `DataArrayBuffer.nbytes`)."""


@dataclass(frozen=True)
class DataArrayLayout:
    """What every frame of a DataArray stack shares; never changes.

    Coords not depending on the concat dim are stored once (`shared_coords`); a
    frame whose shared coords differ does not fit. A 0-D coord named like the
    concat dim (the frame's timestamp) is stacked into a 1-D coord. Masks are
    stacked, since they may change from frame to frame.
    """

    data: VariableLayout
    shared_coords: Mapping[str, sc.Variable]
    # (dtype, unit, aligned) of the frames' timestamp, None if they have none.
    time: tuple[Any, Any, bool] | None
    masks: Mapping[str, tuple[tuple[str, ...], tuple[int, ...]]]
    # numpy's dtype of the timestamp's `.values`; for datetimes it names the unit.
    time_numpy_dtype: np.dtype | None = None
    # The dim frames are stacked along, also the name of their timestamp coord.
    concat_dim: str = "time"

    @cached_property
    def coord_count(self) -> int:
        """How many coords a frame has; read once per frame, so derived once."""
        return len(self.shared_coords) + (self.time is not None)

    @cached_property
    def slot_nbytes(self) -> int:
        """Bytes of one slot's elements, as scipp counts them (dtype size times
        elements, twice with variances), with its timestamp and masks."""
        data = self.data
        nbytes = data.numpy_dtype.itemsize * math.prod(data.shape)
        nbytes *= 2 if data.has_variances else 1
        if self.time_numpy_dtype is not None:
            nbytes += self.time_numpy_dtype.itemsize
        return nbytes + sum(math.prod(shape) for _, shape in self.masks.values())

    @cached_property
    def time_epoch(self) -> sc.Variable | None:
        """The epoch in the timestamps' unit if they are datetimes, else None.

        A datetime timestamp is read as its distance from it (see `plan`); a
        number's unit is compared apart, since its dtype does not name it.
        """
        if self.time_numpy_dtype is None or self.time_numpy_dtype.kind != "M":
            return None
        return sc.epoch(unit=self.time[1])

    @cached_property
    def written_time_dtype(self) -> np.dtype | None:
        """The numpy dtype timestamps are written as: int64 for datetimes (read
        as their distance from the epoch), since numpy writes an int64 into a
        datetime64 slot ten times slower than into an int64 one."""
        if self.time_epoch is not None:
            return np.dtype(np.int64)
        return self.time_numpy_dtype

    @cached_property
    def times_in_ns(self) -> bool:
        """Whether the stacked timestamps read as int64 ns since the epoch."""
        return self.time is not None and _reads_as_ns(
            self.time[1], self.time_numpy_dtype.kind
        )

    def in_ns(self, times: np.ndarray) -> np.ndarray:
        """Stacked timestamps as int64 ns since the epoch (a view if stored so)."""
        if self.times_in_ns:
            return times.view(np.int64)
        return _as_ns(times, self.time[1])

    @cached_property
    def plan(self) -> FramePlan:
        """What a frame's coords, timestamp and masks are checked against."""
        time_name = time_aligned = time_unit = None
        if self.time is not None:
            time_name = self.concat_dim
            time_unit, time_aligned = self.time[1:]
        return FramePlan(
            shared=tuple(self.shared_coords),
            coord_count=self.coord_count,
            time_name=time_name,
            time_numpy_dtype=self.time_numpy_dtype,
            time_aligned=time_aligned,
            time_unit=time_unit,
            time_epoch=self.time_epoch,
            masked=bool(self.masks),
        )


@dataclass
class DataArrayStack:
    """Slots of a `DataArrayBuffer`: stacked Variables and numpy views on them.

    The DataArray of the stack (`array`) is assembled when a view is first
    asked for: a storage that is replaced before anyone reads it (a short
    window on a fast key) never pays for it.
    """

    layout: DataArrayLayout
    # Shared with every stack of the history (`allocate_like` hands it on).
    notes: StackNotes
    data: sc.Variable
    values: np.ndarray
    variances: np.ndarray | None
    times: np.ndarray | None
    time_coord: sc.Variable | None
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    # The frames' times in ns since the epoch (a view when stored in ns).
    times_ns: np.ndarray | None = None
    mask_variables: dict[str, sc.Variable] = field(default_factory=dict)
    array: sc.DataArray | None = None


def _allocate_variables(
    layout: DataArrayLayout, notes: StackNotes, capacity: int
) -> DataArrayStack:
    """A stack's Variables (data, timestamps, masks) and numpy views on them."""
    dim = layout.concat_dim
    data = layout.data.empty_stack(dim, capacity)
    times = time_coord = times_ns = None
    if layout.time is not None:
        dtype, unit, _ = layout.time
        time_coord = sc.empty(dims=(dim,), shape=(capacity,), dtype=dtype, unit=unit)
        times = time_coord.values.view(layout.written_time_dtype)
        if layout.times_in_ns:
            times_ns = times.view(np.int64)
    masks, mask_variables = {}, {}
    for name, (dims, shape) in layout.masks.items():
        mask = sc.zeros(dims=(dim, *dims), shape=(capacity, *shape), dtype=bool)
        mask_variables[name] = mask
        masks[name] = mask.values
    return DataArrayStack(
        layout,
        notes,
        data,
        data.values,
        data.variances,
        times,
        time_coord,
        masks,
        times_ns=times_ns,
        mask_variables=mask_variables,
    )


def _assemble(layout: DataArrayLayout, stack: DataArrayStack) -> sc.DataArray:
    """One DataArray of `stack`'s Variables and the layout's shared coords."""
    dim = layout.concat_dim
    coords = dict(layout.shared_coords)
    if stack.time_coord is not None:
        coords[dim] = stack.time_coord
    array = sc.DataArray(stack.data, coords=coords, masks=stack.mask_variables)
    if layout.time is not None:
        array.coords.set_aligned(dim, layout.time[2])
    return array


def _read_time(layout: DataArrayLayout, plan: FramePlan, coord: sc.Variable) -> Any:
    """The timestamp `coord` of a frame as it is stacked: raise unless it is
    0-D, of the stack's dtype and unit, and aligned as the history's."""
    try:
        if plan.time_epoch is not None:
            # A datetime's `.value` costs ~7 us: scipp builds the numpy
            # datetime64 through Python. Its distance from the epoch costs
            # ~2.5 us, is the same int64, and raises unless dtype and unit are
            # the stack's (decision 012).
            time = (coord - plan.time_epoch).value
            fits = coord.aligned == plan.time_aligned
        else:
            time = coord.value
            fits = (
                time.dtype == plan.time_numpy_dtype
                and coord.aligned == plan.time_aligned
                # A number's dtype does not name its unit.
                and coord.unit == plan.time_unit
            )
    except _TIME_MISFITS:
        fits = False
    if not fits:
        got = (coord.dims, coord.dtype, coord.unit, coord.aligned)
        raise FrameMismatchError(
            f"coord {plan.time_name!r}: expected 0-D (dtype, unit, aligned) "
            f"{layout.time}, got (dims, dtype, unit, aligned) {got}"
        )
    return time


class DataArrayBuffer:
    """Stacks `sc.DataArray` frames along `concat_dim`, keeping coords and masks."""

    fixed_slot_bytes = True

    def __init__(self, concat_dim: str = "time") -> None:
        self._concat_dim = concat_dim

    def accepts(self, frame: sc.DataArray) -> str | None:
        reason = _unstackable(frame, self._concat_dim, sc.DataArray)
        if reason is not None:
            return reason
        coords = frame.coords
        if self._concat_dim in coords:
            time = coords[self._concat_dim]
            if time.ndim != 0 or time.dtype not in _NUMERIC:
                return f"coord {self._concat_dim!r} must be a 0-D number or datetime"
        return None

    def allocate(self, template: sc.DataArray, capacity: int) -> DataArrayStack:
        shared_coords = {}
        time = time_numpy_dtype = None
        # Iterating scipp's coords costs ~20 us, so the layout is derived once.
        for name, coord in template.coords.items():
            if name == self._concat_dim:
                time = (coord.dtype, coord.unit, coord.aligned)
                time_numpy_dtype = np.asarray(coord.values).dtype
            else:
                shared_coords[name] = coord.copy()
        sizes = template.sizes
        masks = {}
        if len(template.masks):
            masks = {
                name: (mask.dims, tuple(sizes[dim] for dim in mask.dims))
                for name, mask in template.masks.items()
            }
        layout = DataArrayLayout(
            VariableLayout.of(template),
            MappingProxyType(shared_coords),
            time,
            MappingProxyType(masks),
            time_numpy_dtype,
            self._concat_dim,
        )
        return _allocate_variables(layout, StackNotes(), capacity)

    def allocate_like(self, storage: DataArrayStack, capacity: int) -> DataArrayStack:
        return _allocate_variables(storage.layout, storage.notes, capacity)

    def _array(self, storage: DataArrayStack) -> sc.DataArray:
        """The stack as one DataArray, sharing the storage's memory."""
        array = storage.array
        if array is None:
            # Two readers may both assemble it: either result is the same view.
            array = storage.array = _assemble(storage.layout, storage)
        return array

    def check(self, storage: DataArrayStack, frame: sc.DataArray) -> None:
        self._read(storage, frame)

    def check_latest(self, storage: DataArrayStack, frame: sc.DataArray) -> None:
        """What a frame kept by reference must share with its history: the data's
        layout. Coords and masks are checked only when frames are stacked."""
        if type(frame) is not sc.DataArray:
            raise FrameMismatchError(
                f"expected a DataArray, got {type(frame).__name__}"
            )
        _read_data(storage.layout.data, frame)

    def read_frame(
        self, storage: DataArrayStack, frame: sc.DataArray
    ) -> tuple[np.ndarray, np.ndarray | None, Any]:
        """Values, variances and timestamp of `frame`, checked as `write` checks
        it (coords, timestamp and masks included)."""
        values, variances, time, _ = self._read(storage, frame)
        return values, variances, time

    def write(self, storage: DataArrayStack, index: int, frame: sc.DataArray) -> None:
        values, variances, time, mask_values = self._read(storage, frame)
        storage.values[index] = values
        if variances is not None:
            storage.variances[index] = variances
        if time is not None:
            storage.times[index] = time
        for stacked_mask, mask in mask_values:
            stacked_mask[index] = mask

    def _read(self, storage: DataArrayStack, frame: sc.DataArray) -> tuple[Any, ...]:
        """Values, variances, timestamp and (stacked mask, mask) pairs of `frame`.

        Everything is read and checked before anything is written, so a
        mismatch leaves the slot untouched (the Buffer would not show it
        anyway). Each scipp call costs ~0.3 us, so each property is read once,
        from numpy's views where they say the same (decision 012); a 0-D value
        is read as a numpy scalar, whose dtype is the frame's (decision 015).
        """
        if type(frame) is not sc.DataArray:
            raise FrameMismatchError(
                f"expected a DataArray, got {type(frame).__name__}"
            )
        layout = storage.layout
        plan = layout.plan
        values, variances = _read_data(layout.data, frame)
        # len() and lookups by name, never iteration (see `allocate`).
        coords = frame.coords
        if len(coords) != plan.coord_count:
            raise FrameMismatchError(self._coords_mismatch(layout, frame))
        time = None
        try:
            if plan.shared:
                self._check_shared_coords(storage, plan.shared, coords)
            if plan.time_name is not None:
                time = _read_time(layout, plan, coords[plan.time_name])
        except KeyError:
            raise FrameMismatchError(self._coords_mismatch(layout, frame)) from None
        if not plan.masked and not len(frame.masks):
            return values, variances, time, ()
        return values, variances, time, self._read_masks(storage, frame)

    def _check_shared_coords(
        self, storage: DataArrayStack, names: tuple[str, ...], coords: Any
    ) -> None:
        """Raise unless each of the frame's `coords` named in `names` is the
        stored one; KeyError if one is missing."""
        known = storage.notes.known_coords
        for name in names:
            coord = coords[name]
            # The known coord's memory again: identical without comparing.
            mark = known.get(name)
            if mark is not None:
                coord_values = coord.values
                if (
                    getattr(coord_values, "base", None) is mark.base
                    and coord_values.shape == mark.shape
                    and coord.dims == mark.dims
                    and coord.aligned == mark.aligned
                ):
                    continue
            self._check_shared(storage, name, coord)

    def _read_masks(
        self, storage: DataArrayStack, frame: sc.DataArray
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        layout = storage.layout
        masks = frame.masks
        if len(masks) != len(layout.masks):
            raise FrameMismatchError(self._masks_mismatch(layout, frame))
        mask_values = []
        for name, (dims, _) in layout.masks.items():
            if name not in masks:
                raise FrameMismatchError(self._masks_mismatch(layout, frame))
            mask = masks[name]
            if mask.dims != dims:
                raise FrameMismatchError(
                    f"mask {name!r}: expected dims {dims}, got {mask.dims}"
                )
            mask_values.append((storage.masks[name], mask.values))
        return mask_values

    @staticmethod
    def _check_shared(storage: DataArrayStack, name: str, coord: sc.Variable) -> None:
        """Raise unless `coord` is identical to the stored coord `name`; if it
        is, remember it (`KnownCoord`), so its next frames are not compared."""
        values = coord.values
        base = getattr(values, "base", None)
        shared = storage.layout.shared_coords[name]
        if (
            not sc.identical(coord, shared, equal_nan=True)
            or coord.aligned != shared.aligned
        ):
            raise FrameMismatchError(
                f"coord {name!r} differs from the buffered frames'"
            )
        # Only a coord that covers all of its memory: a slice of a larger one
        # could have the same base and shape at another offset.
        if (
            type(base) is _SCIPP_MEMORY
            and coord.underlying_size() == shared.underlying_size()
        ):
            storage.notes.known_coords[name] = KnownCoord(
                coord, base, coord.dims, values.shape, coord.aligned
            )

    def _coords_mismatch(self, layout: DataArrayLayout, frame: sc.DataArray) -> str:
        expected = [*layout.shared_coords, *([self._concat_dim] if layout.time else [])]
        return f"expected coords {sorted(expected)}, got {sorted(frame.coords.keys())}"

    def _masks_mismatch(self, layout: DataArrayLayout, frame: sc.DataArray) -> str:
        return (
            f"expected masks {sorted(layout.masks)}, got {sorted(frame.masks.keys())}"
        )

    def copy_frames(
        self,
        source: DataArrayStack,
        start: int,
        end: int,
        target: DataArrayStack,
        target_start: int,
    ) -> None:
        _copy_data(source, start, end, target, target_start)
        stop = target_start + end - start
        if target.times is not None:
            target.times[target_start:stop] = source.times[start:end]
        for name, mask_values in target.masks.items():
            mask_values[target_start:stop] = source.masks[name][start:end]

    def get_arrays(
        self, storage: DataArrayStack, start: int, end: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Values and variances of slots ``[start, end)``, numpy views."""
        return _arrays(storage, start, end)

    def get_view(self, storage: DataArrayStack, start: int, end: int) -> sc.DataArray:
        return self._array(storage)[self._concat_dim, start:end]

    def get_frame(self, storage: DataArrayStack, index: int) -> sc.DataArray:
        frame = self._array(storage)[self._concat_dim, index]
        if storage.times is not None:
            # Slicing turns the timestamp into an unaligned coord; restore the
            # alignment the frame arrived with so the frame round-trips exactly.
            frame = frame.copy(deep=False)
            frame.coords.set_aligned(self._concat_dim, storage.layout.time[2])
        return frame

    def times(self, storage: DataArrayStack) -> np.ndarray | None:
        if storage.times is None:
            return None
        if storage.times_ns is not None:
            return storage.times_ns
        return storage.layout.in_ns(storage.times)

    def nbytes(self, storage: DataArrayStack) -> int:
        """What scipp's `underlying_size` says of the stack's DataArray: linear
        in the slots, so only a history's first stack is assembled to learn it;
        later stacks are assembled when first read."""
        slots = len(storage.values) * storage.layout.slot_nbytes
        notes = storage.notes
        if notes.fixed_nbytes is None:
            notes.fixed_nbytes = self._array(storage).underlying_size() - slots
        return notes.fixed_nbytes + slots

    def frame_nbytes(self, frame: sc.DataArray) -> int:
        return frame.underlying_size()
