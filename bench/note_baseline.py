"""The facility's implementation of the design note, rebuilt for benchmarks only.

It follows the strategy the design note and the facility's implementation
describe, so that `bench_data_service.py` compares ours with what the
facility runs, not with a strawman:

- A generic `NoteBuffer` over a storage seam (`allocate`, `write_slice`,
  `shift`, `get_view`, `get_size`). Storage starts at `initial_capacity`
  (100) frames and doubles up to ``int(max_size * 2.5)``. Once at that
  capacity, every append that leaves more than `max_size` frames shifts the
  newest `max_size` frames to the front, in place.
- `NoteDataArrayStorage` writes a frame into the preallocated DataArray
  through numpy `.values` slices: data, the concat coord, coords that depend
  on the concat dim, masks. Other coords are taken from the first frame and
  assumed constant (nothing checks them).
- Extractors hand out views of the storage, never copies: a window is a
  slice, the latest value the newest slot with its concat coord dropped.
- `NoteDataService` creates a key's buffer at its first value, sized by the
  extractors of the key's subscribers; after each set outside a transaction
  (or at the end of one) it loops over all subscribers, extracts each of a
  touched subscriber's keys with its extractor, and calls `trigger` with a
  dict.

Nothing here is imported by the application.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np
import scipp as sc

CONCAT_DIM = "time"


class NoteStorage(Protocol):
    """How one kind of frame is held in preallocated slots."""

    def allocate(self, template: Any, capacity: int) -> Any: ...

    def write_slice(self, storage: Any, start: int, data: Any) -> None: ...

    def shift(self, storage: Any, src_start: int, src_end: int, dst: int) -> None: ...

    def get_view(self, storage: Any, start: int, end: int) -> Any: ...

    def get_size(self, data: Any) -> int: ...


class NoteDataArrayStorage:
    """DataArrays stacked along the concat dim in one preallocated DataArray."""

    def __init__(self, concat_dim: str = CONCAT_DIM) -> None:
        self.dim = concat_dim

    def _stacked(self, dims: tuple[str, ...], shape: tuple[int, ...], capacity: int):
        if self.dim in dims:
            return dims, tuple(
                capacity if d == self.dim else n
                for d, n in zip(dims, shape, strict=True)
            )
        return (self.dim, *dims), (capacity, *shape)

    def allocate(self, template: sc.DataArray, capacity: int) -> sc.DataArray:
        dims, shape = self._stacked(template.dims, template.shape, capacity)
        data = sc.zeros(
            dims=dims, shape=shape, dtype=template.dtype, unit=template.unit
        )
        coords = {}
        for name, coord in template.coords.items():
            if name == self.dim or self.dim in coord.dims:
                coord_dims, coord_shape = self._stacked(
                    coord.dims, coord.shape, capacity
                )
                coords[name] = sc.zeros(
                    dims=coord_dims,
                    shape=coord_shape,
                    dtype=coord.dtype,
                    unit=coord.unit,
                )
            else:
                coords[name] = coord  # assumed the same for every frame
        if self.dim not in coords:
            coords[self.dim] = sc.arange(self.dim, capacity, dtype="int64")
        masks = {}
        for name, mask in template.masks.items():
            mask_dims, mask_shape = self._stacked(mask.dims, mask.shape, capacity)
            masks[name] = sc.zeros(dims=mask_dims, shape=mask_shape, dtype=mask.dtype)
        return sc.DataArray(data, coords=coords, masks=masks)

    def write_slice(
        self, storage: sc.DataArray, start: int, data: sc.DataArray
    ) -> None:
        end = start + self.get_size(data)
        storage.data.values[start:end] = data.data.values
        coords = storage.coords
        if self.dim in data.coords:
            coords[self.dim].values[start:end] = data.coords[self.dim].values
        else:
            coords[self.dim].values[start:end] = np.arange(start, end)
        for name, coord in data.coords.items():
            if name != self.dim and self.dim in coord.dims:
                coords[name].values[start:end] = coord.values
        for name, mask in data.masks.items():
            storage.masks[name].values[start:end] = mask.values

    def shift(
        self, storage: sc.DataArray, src_start: int, src_end: int, dst: int
    ) -> None:
        stop = dst + src_end - src_start
        values = storage.data.values
        values[dst:stop] = values[src_start:src_end]
        for coord in storage.coords.values():
            if self.dim in coord.dims:
                values = coord.values
                values[dst:stop] = values[src_start:src_end]
        for mask in storage.masks.values():
            if self.dim in mask.dims:
                values = mask.values
                values[dst:stop] = values[src_start:src_end]

    def get_view(self, storage: sc.DataArray, start: int, end: int) -> sc.DataArray:
        return storage[self.dim, start:end]

    def get_size(self, data: sc.DataArray) -> int:
        return data.sizes[self.dim] if self.dim in data.dims else 1


class NoteBuffer:
    """The newest `max_size` frames; see the module docstring for the strategy."""

    def __init__(
        self,
        max_size: int,
        storage: NoteStorage,
        initial_capacity: int = 100,
        overallocation_factor: float = 2.5,
    ) -> None:
        self.max_size = max_size
        self.impl = storage
        self.initial_capacity = initial_capacity
        self.factor = overallocation_factor
        self.max_capacity = int(max_size * overallocation_factor)
        self.storage: Any = None
        self.capacity = 0
        self.end = 0

    def set_max_size(self, max_size: int) -> None:
        if max_size > self.max_size:
            self.max_size = max_size
            self.max_capacity = int(max_size * self.factor)

    def append(self, data: Any) -> None:
        size = self.impl.get_size(data)
        if self.storage is None:
            self.capacity = max(self.initial_capacity, size)
            self.storage = self.impl.allocate(data, self.capacity)
            self.end = 0
        elif self.end + size > self.capacity:
            grown = min(2 * self.capacity, self.max_capacity)
            if grown == self.max_capacity and self.end + size > grown:
                self._slide()
            if self.end + size > self.capacity < self.max_capacity:
                self._grow(data, grown)
        self.impl.write_slice(self.storage, self.end, data)
        self.end += size
        if self.capacity >= self.max_capacity and self.end > self.max_size:
            self._slide()

    def _grow(self, template: Any, capacity: int) -> None:
        storage = self.impl.allocate(template, capacity)
        self.impl.write_slice(storage, 0, self.impl.get_view(self.storage, 0, self.end))
        self.storage, self.capacity = storage, capacity

    def _slide(self) -> None:
        """The newest `max_size` frames to the front, in place."""
        if self.end > self.max_size:
            self.impl.shift(self.storage, self.end - self.max_size, self.end, 0)
            self.end = self.max_size

    def clear(self) -> None:
        self.storage, self.capacity, self.end = None, 0, 0

    def get_window(self, size: int | None = None) -> Any:
        if self.storage is None:
            return None
        start = 0 if size is None else self.end - min(size, self.end)
        return self.impl.get_view(self.storage, start, self.end)

    def get_all(self) -> Any:
        return self.get_window(None)


class NoteLatest:
    """The newest frame: a view of its slot, the concat coord dropped."""

    def required_size(self) -> int:
        return 1

    def extract(self, buffer: NoteBuffer) -> Any:
        window = buffer.get_window(1)
        if window is None or not isinstance(window, sc.DataArray):
            return window
        if CONCAT_DIM not in window.dims:
            return window
        latest = window[CONCAT_DIM, 0]
        if CONCAT_DIM in latest.coords:
            latest = latest.drop_coords(CONCAT_DIM)
        return latest


class NoteWindow:
    """The newest `size` frames: a view."""

    def __init__(self, size: int) -> None:
        self.size = size

    def required_size(self) -> int:
        return self.size

    def extract(self, buffer: NoteBuffer) -> Any:
        return buffer.get_window(self.size)


def note_extractor(extractor: Any) -> NoteLatest | NoteWindow:
    """The note's extractor doing what one of ours does (a window or the latest)."""
    size = getattr(extractor, "size", None)
    return NoteLatest() if size is None else NoteWindow(size)


class NoteDataService(MutableMapping):
    """Set, append, and notify every subscriber of a touched key with a dict."""

    def __init__(self) -> None:
        self.buffers: dict[Hashable, NoteBuffer] = {}
        self.subscribers: list[Any] = []
        self.pending: set[Hashable] = set()
        self.depth = 0
        self.latest = NoteLatest()
        self.storage_for: Callable[[Any], NoteStorage] = lambda value: (
            NoteDataArrayStorage()
        )

    def register_subscriber(self, subscriber: Any) -> None:
        self.subscribers.append(subscriber)
        for key in subscriber.keys:
            if key in self.buffers:
                self.buffers[key].set_max_size(self._required_size(key))

    def _required_size(self, key: Hashable) -> int:
        size = 1
        for subscriber in self.subscribers:
            if key in subscriber.keys:
                extractor = subscriber.extractors.get(key)
                if extractor is not None:
                    size = max(size, extractor.required_size())
        return size

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            if self.depth == 1:
                self._notify()
            self.depth -= 1

    def __setitem__(self, key: Hashable, value: Any) -> None:
        buffer = self.buffers.get(key)
        if buffer is None:
            buffer = NoteBuffer(self._required_size(key), self.storage_for(value))
            self.buffers[key] = buffer
            buffer.append(value)
        else:
            try:
                buffer.append(value)
            except Exception:
                buffer.clear()
                buffer.append(value)
        self.pending.add(key)
        if not self.depth:
            self._notify()

    def _notify(self) -> None:
        while self.pending:
            updated = set(self.pending)
            self.pending.clear()
            for subscriber in self.subscribers:
                if not updated & subscriber.keys:
                    continue
                extractors = subscriber.extractors
                data = {}
                for key in subscriber.keys:
                    if key in self.buffers:
                        extractor = extractors.get(key, self.latest)
                        value = extractor.extract(self.buffers[key])
                        if value is not None:
                            data[key] = value
                if data:
                    subscriber.trigger(data)

    def __getitem__(self, key: Hashable) -> Any:
        return self.latest.extract(self.buffers[key])

    def __delitem__(self, key: Hashable) -> None:
        del self.buffers[key]
        self.pending.add(key)
        if not self.depth:
            self._notify()

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.buffers)

    def __len__(self) -> int:
        return len(self.buffers)
