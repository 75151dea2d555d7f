"""Storage for scipp frames: DataArrays and Variables stacked along `concat_dim`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipp as sc

# dtypes whose `.values` is a writable numpy view, so frames are copied with numpy.
_NUMERIC = (
    sc.DType.float64,
    sc.DType.float32,
    sc.DType.int64,
    sc.DType.int32,
    sc.DType.bool,
    sc.DType.datetime64,
)


def _describe_kind(frame: Any, concat_dim: str, kind: type) -> str | None:
    if not isinstance(frame, kind):
        return f"expected a {kind.__name__}, got {type(frame).__name__}"
    if concat_dim in frame.dims:
        return f"value already has the stacking dimension {concat_dim!r}"
    if frame.dtype not in _NUMERIC:
        return f"dtype {frame.dtype} cannot be stacked"
    return None


def _layout_mismatch(frame: Any, stack: _VariableLayout) -> str | None:
    if frame.dims != stack.dims:
        return f"expected dims {stack.dims}, got {frame.dims}"
    if frame.shape != stack.shape:
        return f"expected shape {stack.shape}, got {frame.shape}"
    if frame.dtype != stack.dtype:
        return f"expected dtype {stack.dtype}, got {frame.dtype}"
    if frame.unit != stack.unit:
        return f"expected unit {stack.unit}, got {frame.unit}"
    if (frame.variances is None) == stack.has_variances:
        expected = "with" if stack.has_variances else "without"
        return f"expected values {expected} variances"
    return None


@dataclass
class _VariableLayout:
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: Any
    unit: Any
    has_variances: bool

    @classmethod
    def of(cls, frame: sc.Variable | sc.DataArray) -> _VariableLayout:
        return cls(
            dims=frame.dims,
            shape=frame.shape,
            dtype=frame.dtype,
            unit=frame.unit,
            has_variances=frame.variances is not None,
        )


def _empty_stack_of(frame: sc.Variable | sc.DataArray, concat_dim: str, capacity: int):
    return sc.empty(
        dims=(concat_dim, *frame.dims),
        shape=(capacity, *frame.shape),
        dtype=frame.dtype,
        unit=frame.unit,
        with_variances=frame.variances is not None,
    )


@dataclass
class VariableStack(_VariableLayout):
    """Slots of a VariableBuffer: one Variable with numpy views on it."""

    variable: sc.Variable = None  # type: ignore[assignment]
    values: np.ndarray = None  # type: ignore[assignment]
    variances: np.ndarray | None = None


class VariableBuffer:
    """Stacks `sc.Variable` frames along `concat_dim`."""

    def __init__(self, concat_dim: str = "time") -> None:
        self._concat_dim = concat_dim

    def accepts(self, frame: sc.Variable) -> str | None:
        return _describe_kind(frame, self._concat_dim, sc.Variable)

    def allocate(self, template: sc.Variable, capacity: int) -> VariableStack:
        variable = _empty_stack_of(template, self._concat_dim, capacity)
        return VariableStack(
            **vars(_VariableLayout.of(template)),
            variable=variable,
            values=variable.values,
            variances=variable.variances,
        )

    def check(self, storage: VariableStack, frame: sc.Variable) -> str | None:
        if not isinstance(frame, sc.Variable):
            return f"expected a Variable, got {type(frame).__name__}"
        return _layout_mismatch(frame, storage)

    def write(self, storage: VariableStack, index: int, frame: sc.Variable) -> None:
        storage.values[index] = frame.values
        if storage.variances is not None:
            storage.variances[index] = frame.variances

    def copy_frames(
        self,
        source: VariableStack,
        start: int,
        end: int,
        target: VariableStack,
        target_start: int,
    ) -> None:
        stop = target_start + end - start
        target.values[target_start:stop] = source.values[start:end]
        if target.variances is not None:
            target.variances[target_start:stop] = source.variances[start:end]

    def get_view(self, storage: VariableStack, start: int, end: int) -> sc.Variable:
        return storage.variable[self._concat_dim, start:end]

    def get_frame(self, storage: VariableStack, index: int) -> sc.Variable:
        return storage.variable[self._concat_dim, index]

    def nbytes(self, storage: VariableStack) -> int:
        return storage.variable.underlying_size()

    def frame_nbytes(self, frame: sc.Variable) -> int:
        return frame.underlying_size()


@dataclass
class DataArrayStack(_VariableLayout):
    """Slots of a DataArrayBuffer: one DataArray with numpy views on it.

    Coords not depending on the concat dim are stored once (`shared_coords`); a
    frame whose shared coords differ does not fit. A 0-D coord named like the
    concat dim (the frame's timestamp) becomes a 1-D coord (`times`). Masks are
    stacked, since they may change from frame to frame.
    """

    array: sc.DataArray = None  # type: ignore[assignment]
    values: np.ndarray = None  # type: ignore[assignment]
    variances: np.ndarray | None = None
    times: np.ndarray | None = None
    time_layout: tuple[Any, Any, bool] | None = None
    shared_coords: dict[str, sc.Variable] = field(default_factory=dict)
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    mask_dims: dict[str, tuple[str, ...]] = field(default_factory=dict)


class DataArrayBuffer:
    """Stacks `sc.DataArray` frames along `concat_dim`, keeping coords and masks."""

    def __init__(self, concat_dim: str = "time") -> None:
        self._concat_dim = concat_dim

    def accepts(self, frame: sc.DataArray) -> str | None:
        reason = _describe_kind(frame, self._concat_dim, sc.DataArray)
        if reason is not None:
            return reason
        coords = frame.coords
        if self._concat_dim in coords:
            time = coords[self._concat_dim]
            if time.ndim != 0 or time.dtype not in _NUMERIC:
                return f"coord {self._concat_dim!r} must be a 0-D number or datetime"
        return None

    def allocate(self, template: sc.DataArray, capacity: int) -> DataArrayStack:
        dim = self._concat_dim
        array = sc.DataArray(_empty_stack_of(template.data, dim, capacity))
        shared_coords = {}
        times = None
        time_layout = None
        for name, coord in template.coords.items():
            if name == dim:
                array.coords[name] = sc.empty(
                    sizes={dim: capacity}, dtype=coord.dtype, unit=coord.unit
                )
                array.coords.set_aligned(name, coord.aligned)
                times = array.coords[name].values
                time_layout = (coord.dtype, coord.unit, coord.aligned)
            else:
                shared_coords[name] = coord.copy()
                array.coords[name] = shared_coords[name]
        masks = {}
        mask_dims = {}
        for name, mask in template.masks.items():
            array.masks[name] = sc.zeros(
                dims=(dim, *mask.dims), shape=(capacity, *mask.shape), dtype=bool
            )
            masks[name] = array.masks[name].values
            mask_dims[name] = mask.dims
        return DataArrayStack(
            **vars(_VariableLayout.of(template)),
            array=array,
            values=array.data.values,
            variances=array.data.variances,
            times=times,
            time_layout=time_layout,
            shared_coords=shared_coords,
            masks=masks,
            mask_dims=mask_dims,
        )

    def check(self, storage: DataArrayStack, frame: sc.DataArray) -> str | None:
        if not isinstance(frame, sc.DataArray):
            return f"expected a DataArray, got {type(frame).__name__}"
        reason = _layout_mismatch(frame, storage)
        if reason is not None:
            return reason
        # len() and lookups by name: iterating scipp's mappings costs ~20 us.
        coords = frame.coords
        expected_coords = len(storage.shared_coords) + (storage.times is not None)
        if len(coords) != expected_coords:
            return self._coords_mismatch(storage, frame)
        for name, shared in storage.shared_coords.items():
            if name not in coords:
                return self._coords_mismatch(storage, frame)
            if not sc.identical(coords[name], shared):
                return f"coord {name!r} differs from the buffered frames'"
        if storage.times is not None:
            if self._concat_dim not in coords:
                return self._coords_mismatch(storage, frame)
            time = coords[self._concat_dim]
            if (
                time.dtype,
                time.unit,
                time.aligned,
            ) != storage.time_layout or time.ndim:
                return f"coord {self._concat_dim!r}: expected {storage.time_layout}"
        masks = frame.masks
        if len(masks) != len(storage.masks):
            return self._masks_mismatch(storage, frame)
        for name, dims in storage.mask_dims.items():
            if name not in masks:
                return self._masks_mismatch(storage, frame)
            if masks[name].dims != dims:
                return f"mask {name!r}: expected dims {dims}, got {masks[name].dims}"
        return None

    def _coords_mismatch(self, storage: DataArrayStack, frame: sc.DataArray) -> str:
        expected = sorted(storage.shared_coords)
        if storage.times is not None:
            expected = sorted([*expected, self._concat_dim])
        return f"expected coords {expected}, got {sorted(frame.coords.keys())}"

    def _masks_mismatch(self, storage: DataArrayStack, frame: sc.DataArray) -> str:
        return (
            f"expected masks {sorted(storage.masks)}, got {sorted(frame.masks.keys())}"
        )

    def write(self, storage: DataArrayStack, index: int, frame: sc.DataArray) -> None:
        storage.values[index] = frame.values
        if storage.variances is not None:
            storage.variances[index] = frame.variances
        if storage.times is not None:
            storage.times[index] = frame.coords[self._concat_dim].value
        if storage.masks:
            masks = frame.masks
            for name, mask_values in storage.masks.items():
                mask_values[index] = masks[name].values

    def copy_frames(
        self,
        source: DataArrayStack,
        start: int,
        end: int,
        target: DataArrayStack,
        target_start: int,
    ) -> None:
        stop = target_start + end - start
        target.values[target_start:stop] = source.values[start:end]
        if target.variances is not None:
            target.variances[target_start:stop] = source.variances[start:end]
        if target.times is not None:
            target.times[target_start:stop] = source.times[start:end]
        for name, mask_values in target.masks.items():
            mask_values[target_start:stop] = source.masks[name][start:end]

    def get_view(self, storage: DataArrayStack, start: int, end: int) -> sc.DataArray:
        return storage.array[self._concat_dim, start:end]

    def get_frame(self, storage: DataArrayStack, index: int) -> sc.DataArray:
        frame = storage.array[self._concat_dim, index]
        if storage.times is not None:
            # Slicing turns the timestamp into an unaligned coord; restore the
            # alignment the frame arrived with so the frame round-trips exactly.
            frame = frame.copy(deep=False)
            frame.coords.set_aligned(self._concat_dim, storage.time_layout[2])
        return frame

    def nbytes(self, storage: DataArrayStack) -> int:
        return storage.array.underlying_size()

    def frame_nbytes(self, frame: sc.DataArray) -> int:
        return frame.underlying_size()
