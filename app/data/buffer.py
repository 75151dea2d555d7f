"""Buffer: the bounded, append-only history of one key's frames."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


class FrameMismatchError(ValueError):
    """A frame does not fit the buffer's layout (type, dims, shape, unit, coords)."""


class BufferInterface(Protocol[T]):
    """Storage seam: how frames of one kind are held in preallocated slots.

    A storage object holds `capacity` slots. Slots are written once; the `Buffer`
    never writes into a slot that a view handed out may cover, so what
    `get_view` and `get_frame` return is never changed by later appends. A slot
    counts only once its write returned, so a write that fails leaves the buffer
    as it was.
    """

    def accepts(self, frame: T) -> str | None:
        """Why this kind of storage cannot hold `frame` at all, or None."""
        ...

    def allocate(self, template: T, capacity: int) -> Any:
        """Storage of `capacity` empty slots laid out for frames like `template`."""
        ...

    def allocate_like(self, storage: Any, capacity: int) -> Any:
        """Storage of `capacity` empty slots laid out like `storage`."""
        ...

    def write(self, storage: Any, index: int, frame: T) -> None:
        """Copy `frame` into slot `index`.

        Raises `FrameMismatchError` if `frame` does not fit the storage's layout;
        slot `index` may then hold anything (the `Buffer` never shows it).
        """
        ...

    def copy_frames(
        self, source: Any, start: int, end: int, target: Any, target_start: int
    ) -> None:
        """Copy slots ``[start, end)`` of `source` to `target` from `target_start`."""
        ...

    def get_view(self, storage: Any, start: int, end: int) -> Any:
        """Slots ``[start, end)`` stacked along the concat dim."""
        ...

    def get_frame(self, storage: Any, index: int) -> T:
        """Slot `index`, equal to the frame written there."""
        ...

    def nbytes(self, storage: Any) -> int:
        """Bytes held by `storage`, all slots included."""
        ...

    def frame_nbytes(self, frame: T) -> int:
        """Bytes held by one frame kept by reference."""
        ...


class Buffer(Generic[T]):
    """The newest `max_size` frames of one key.

    With ``max_size == 1`` the buffer keeps a reference to the latest frame and
    allocates nothing. Otherwise frames are copied into preallocated storage of at
    most ``ceil(max_size * overallocation_factor)`` slots. When the storage is
    full, the kept frames are copied into fresh storage instead of being shifted in
    place, so views handed out stay valid and unchanged.

    Parameters
    ----------
    max_size:
        Number of frames kept.
    buffer_impl:
        The storage for this kind of frame.
    initial_capacity:
        Slots allocated at the first append (bounded by the maximum capacity).
    overallocation_factor:
        Slots per kept frame at most; trades memory for fewer copies.
    concat_dim:
        Dimension along which frames are stacked.
    """

    def __init__(
        self,
        max_size: int,
        buffer_impl: BufferInterface[T],
        initial_capacity: int = 100,
        overallocation_factor: float = 2.5,
        concat_dim: str = "time",
    ) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}")
        if initial_capacity < 1:
            raise ValueError(
                f"initial_capacity must be at least 1, got {initial_capacity}"
            )
        if overallocation_factor < 1.0:
            raise ValueError(
                f"overallocation_factor must be at least 1, got {overallocation_factor}"
            )
        self._impl = buffer_impl
        self._initial_capacity = initial_capacity
        self._overallocation_factor = overallocation_factor
        self._concat_dim = concat_dim
        self._max_size = max_size
        self._storage: Any = None
        self._capacity = 0
        self._start = 0
        self._end = 0
        # Reference mode (max_size == 1): the latest frame itself.
        self._latest: T | None = None
        self._has_latest = False

    @property
    def max_size(self) -> int:
        """Number of frames kept."""
        return self._max_size

    @property
    def max_capacity(self) -> int:
        """Slots the storage may ever allocate."""
        if self._max_size == 1:
            return 1
        return math.ceil(self._max_size * self._overallocation_factor)

    @property
    def capacity(self) -> int:
        """Slots allocated now."""
        if self._max_size == 1:
            return int(self._has_latest)
        return self._capacity

    @property
    def concat_dim(self) -> str:
        return self._concat_dim

    @property
    def overallocation_factor(self) -> float:
        return self._overallocation_factor

    @property
    def initial_capacity(self) -> int:
        return self._initial_capacity

    @property
    def nbytes(self) -> int:
        """Bytes held, allocated slots included."""
        if self._max_size == 1:
            return self._impl.frame_nbytes(self._latest) if self._has_latest else 0
        return 0 if self._storage is None else self._impl.nbytes(self._storage)

    def __len__(self) -> int:
        """Number of frames held."""
        if self._max_size == 1:
            return int(self._has_latest)
        return self._end - self._start

    def append(self, frame: T) -> None:
        """Append one frame, dropping the oldest beyond `max_size`.

        Raises
        ------
        FrameMismatchError
            If `frame` does not fit; the buffer is then unchanged.
        """
        if self._max_size == 1:
            reason = self._impl.accepts(frame)
            if reason is not None:
                raise FrameMismatchError(reason)
            self._latest = frame
            self._has_latest = True
            return
        if self._storage is None:
            reason = self._impl.accepts(frame)
            if reason is not None:
                raise FrameMismatchError(reason)
            capacity = min(self._initial_capacity, self.max_capacity)
            storage = self._impl.allocate(frame, capacity)
            self._impl.write(storage, 0, frame)
            self._storage, self._capacity, self._start, self._end = (
                storage,
                capacity,
                0,
                1,
            )
            return
        if self._end == self._capacity:
            self._append_to_fresh_storage(frame)
            return
        self._impl.write(self._storage, self._end, frame)
        self._end += 1
        if self._end - self._start > self._max_size:
            self._start += 1

    def extend(self, frames: Iterable[T]) -> None:
        """Append several frames in order, all or none.

        Raises
        ------
        FrameMismatchError
            If a frame does not fit; the buffer is then as before the call.
        """
        saved = self._state()
        try:
            for frame in frames:
                self.append(frame)
        except BaseException:
            self._restore(saved)
            raise

    def set_max_size(self, new_max_size: int) -> None:
        """Grow to keep `new_max_size` frames; a smaller size is ignored."""
        if new_max_size <= self._max_size:
            return
        if self._max_size == 1:
            latest, has_latest = self._latest, self._has_latest
            self._latest, self._has_latest = None, False
            self._max_size = new_max_size
            if has_latest:
                self.append(latest)
            return
        self._max_size = new_max_size

    def get_latest(self) -> T | None:
        """The latest frame, or None if empty."""
        if self._max_size == 1:
            return self._latest
        if self._end == self._start:
            return None
        return self._impl.get_frame(self._storage, self._end - 1)

    def get_window(self, size: int) -> Any | None:
        """The last `size` frames (fewer if fewer are held), stacked; None if empty."""
        if size < 1:
            raise ValueError(f"window size must be at least 1, got {size}")
        if self._max_size == 1:
            if not self._has_latest:
                return None
            storage = self._impl.allocate(self._latest, 1)
            self._impl.write(storage, 0, self._latest)
            return self._impl.get_view(storage, 0, 1)
        if self._end == self._start:
            return None
        start = max(self._start, self._end - size)
        return self._impl.get_view(self._storage, start, self._end)

    def get_all(self) -> Any | None:
        """Every frame held, stacked; None if empty."""
        return self.get_window(self._max_size)

    def _append_to_fresh_storage(self, frame: T) -> None:
        # Views handed out may cover any slot of the current storage, so the kept
        # tail moves to new memory rather than being shifted in place.
        keep = min(self._end - self._start, self._max_size - 1)
        capacity = min(self.max_capacity, max(2 * self._capacity, keep + 1))
        storage = self._impl.allocate_like(self._storage, capacity)
        self._impl.copy_frames(self._storage, self._end - keep, self._end, storage, 0)
        self._impl.write(storage, keep, frame)
        self._storage, self._capacity, self._start, self._end = (
            storage,
            capacity,
            0,
            keep + 1,
        )

    def _state(self) -> tuple[Any, ...]:
        return (
            self._storage,
            self._capacity,
            self._start,
            self._end,
            self._latest,
            self._has_latest,
        )

    def _restore(self, state: tuple[Any, ...]) -> None:
        (
            self._storage,
            self._capacity,
            self._start,
            self._end,
            self._latest,
            self._has_latest,
        ) = state
