"""Buffer: the bounded, append-only history of one key's frames."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any, Generic, NamedTuple, Protocol, TypeVar, runtime_checkable

import numpy as np

T = TypeVar("T")


BUDGET_FREE_SHARE = 4
"""A buffer the memory budget holds back keeps 1/4 of its slots free (3 frames
copied per append, amortised), so its window is 3/4 to all of what fits."""


class FrameMismatchError(ValueError):
    """A frame does not fit the buffer's layout (type, dims, shape, unit, coords)."""


class BufferInterface(Protocol[T]):
    """Storage seam: how frames of one kind are held in preallocated slots.

    A storage object holds `capacity` slots. Slots are written once; the `Buffer`
    never writes into a slot that a view handed out may cover, so what
    `get_view` and `get_frame` return is never changed by later appends. A slot
    counts only once its write returned, so a write that fails leaves the buffer
    as it was.

    A storage may offer more, each declared by a Protocol below and found by
    ``isinstance`` once per buffer (decision 025): `ChecksKeptFrame`,
    `HandsOutArrays`, `ReadsFrames`, `FixedSlotBytes`.
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

    def check(self, storage: Any, frame: T) -> None:
        """Raise `FrameMismatchError` unless `frame` fits `storage`'s layout."""
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

    def times(self, storage: Any) -> np.ndarray | None:
        """Each slot's frame time in ns since the epoch, or None if frames have none."""
        ...

    def nbytes(self, storage: Any) -> int:
        """Bytes held by `storage`, all slots included."""
        ...

    def frame_nbytes(self, frame: T) -> int:
        """Bytes held by one frame kept by reference."""
        ...


@runtime_checkable
class ChecksKeptFrame(Protocol):
    """A storage that checks a frame kept by reference for less than `check`.

    A history that keeps its one frame by reference stacks nothing, so only
    what the key's catalog entry describes must stay: type, dims, shape,
    dtype, unit, variances. Without it, `check` is used (decision 015).
    """

    def check_latest(self, storage: Any, frame: Any) -> None:
        """Raise `FrameMismatchError` unless `frame` fits what the catalog says."""
        ...


@runtime_checkable
class HandsOutArrays(Protocol):
    """A storage that hands out its slots' values and variances as numpy views."""

    def get_arrays(self, storage: Any, start: int, end: int) -> tuple[Any, Any]:
        """Values and variances (or None) of slots ``[start, end)``."""
        ...


@runtime_checkable
class ReadsFrames(Protocol):
    """A storage that reads a frame's arrays as `write` would, without writing."""

    def read_frame(self, storage: Any, frame: Any) -> tuple[Any, Any, Any]:
        """Values, variances and timestamp of `frame`, checked as `write` checks it."""
        ...


@runtime_checkable
class FixedSlotBytes(Protocol):
    """A storage whose `nbytes` does not change when a slot is written, when
    `fixed_slot_bytes` is true: the `Buffer` then skips recounting its bytes
    on every append."""

    fixed_slot_bytes: bool


def has_fixed_slot_bytes(impl: Any) -> bool:
    """Whether `impl` declares that writing a slot leaves its bytes unchanged."""
    return isinstance(impl, FixedSlotBytes) and bool(impl.fixed_slot_bytes)


class MemoryGrant(Protocol):
    """What a buffer asks before it allocates (the service's memory budget)."""

    def request(self, buffer: Buffer[Any], nbytes: int) -> bool:
        """Whether `buffer` may hold `nbytes` more than it holds now."""
        ...

    def changed(self, buffer: Buffer[Any], delta: int) -> None:
        """`buffer` now holds `delta` bytes more (or fewer) than before."""
        ...


class HeldFrames(NamedTuple):
    """Where a buffer's frames are at one moment: what its snapshot keeps.

    Slots are written once (decision 001), so these few references and
    indices are the frames held then, whatever is appended later.
    `Buffer.held` gives these fields in this order as a plain tuple, which its
    readers unpack by these names: building this NamedTuple per notification
    cost ~1% of an update (callgrind); ``HeldFrames._make(buffer.held())``
    names them where that does not matter.
    """

    impl: Any
    """The storage kind, which reads `storage`."""
    storage: Any
    """The slots, or None (no frame stacked yet, or a frame kept by reference)."""
    start: int
    """The oldest slot held."""
    end: int
    """One past the newest slot held."""
    latest: Any
    """The frame kept by reference, if `by_reference`."""
    has_latest: bool
    """Whether a frame is kept by reference."""
    by_reference: bool
    """Whether the buffer keeps its one frame by reference, nothing stacked."""
    arrival: np.ndarray | None
    """Each slot's arrival time, kept only by a span over frames without time."""
    appended: int
    """Frames appended to the history so far."""


def stack_one(impl: BufferInterface[T], frame: T) -> Any:
    """`frame` alone, stacked by `impl` as a window of one (a copy)."""
    storage = impl.allocate(frame, 1)
    impl.write(storage, 0, frame)
    return impl.get_view(storage, 0, 1)


def frame_times(
    impl: BufferInterface[Any],
    storage: Any,
    start: int,
    end: int,
    arrival: np.ndarray | None,
) -> np.ndarray:
    """Time of the frames in slots ``[start, end)`` of `storage`, ns since the
    epoch: their `time` coord, else their arrival."""
    times = impl.times(storage)
    if times is None:
        times = arrival
    if times is None:
        # Frames without a time, and no span asked: they count as arriving now.
        return np.full(end - start, time.time_ns(), dtype=np.int64)
    return times[start:end]


class BufferSnapshot(Generic[T]):
    """A buffer's frames as they were when it was taken; later appends change nothing.

    Reads the same way as a `Buffer` (`get_latest`, `get_window`, `get_all`,
    `get_since`, `times`), so an extractor reads either. Cheap: slots are written
    once, so a snapshot is the buffer's `held()` frames, a few references.
    """

    __slots__ = ("_buffer", "_held")

    def __init__(self, buffer: Buffer[T]) -> None:
        self._buffer = buffer
        self._held = buffer.held()

    def __len__(self) -> int:
        _, _, start, end, _, has_latest, by_reference, _, _ = self._held
        if by_reference:
            return int(has_latest)
        return end - start

    @property
    def max_size(self) -> int:
        return self._buffer.max_size

    @property
    def truncated(self) -> bool:
        return self._buffer.truncated

    @property
    def appended(self) -> int:
        """Frames appended to this history up to the snapshot; the newest is
        number ``appended - 1``."""
        return self._held[-1]  # `HeldFrames.appended`, the last field

    @property
    def scratch(self) -> dict[Any, Any]:
        """State an extractor keeps between extractions of this history."""
        return self._buffer.scratch

    def get_numbered(self, first: int, end: int) -> Any | None:
        """Frames number ``[first, end)`` stacked, or None unless all are held."""
        held = len(self)
        impl, storage, _, stop, _, _, by_reference, _, appended = self._held
        if first < appended - held or end > appended or first >= end:
            return None
        if by_reference:
            return self.get_window(1)
        stop -= appended - end
        return impl.get_view(storage, stop - (end - first), stop)

    def get_numbered_arrays(
        self, first: int, end: int
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Values and variances of frames number ``[first, end)`` as numpy views.

        None unless all are held in a storage that offers them (`HandsOutArrays`).
        """
        held = len(self)
        impl, storage, _, stop, _, _, by_reference, _, appended = self._held
        if (
            by_reference
            or first < appended - held
            or end > appended
            or first >= end
            or not self._buffer.hands_out_arrays
        ):
            return None
        stop -= appended - end
        return impl.get_arrays(storage, stop - (end - first), stop)

    def get_latest(self) -> T | None:
        impl, storage, start, end, latest, _, by_reference, _, _ = self._held
        if by_reference:
            return latest
        if end == start:
            return None
        return impl.get_frame(storage, end - 1)

    def get_window(self, size: int) -> Any | None:
        if size < 1:
            raise ValueError(f"window size must be at least 1, got {size}")
        impl, storage, start, end, latest, has_latest, by_reference, _, _ = self._held
        if by_reference:
            return stack_one(impl, latest) if has_latest else None
        if end == start:
            return None
        return impl.get_view(storage, max(start, end - size), end)

    def get_all(self) -> Any | None:
        return self.get_window(max(1, len(self)))

    def times(self) -> np.ndarray:
        """Time of each frame held (oldest first), ns since the epoch."""
        impl, storage, start, end, _, _, _, arrival, _ = self._held
        return frame_times(impl, storage, start, end, arrival)

    def get_since(self, cutoff_ns: int) -> Any | None:
        """The frames whose time is at least `cutoff_ns`, in arrival order."""
        impl, storage, start, end, _, _, by_reference, _, _ = self._held
        if by_reference:
            return self.get_window(1)
        if end == start:
            return None
        inside = self.times() >= cutoff_ns
        first = int(np.argmax(inside))
        if not inside[first]:
            first = len(inside) - 1  # none inside: the newest frame alone
        if inside[first:].all():
            return impl.get_view(storage, start + first, end)
        # Out of order: a copy of exactly the frames inside, never changed later.
        view = impl.get_view(storage, start, end)
        if isinstance(view, list):
            return [frame for frame, keep in zip(view, inside, strict=True) if keep]
        return view[inside_variable(inside, view)].copy()


def inside_variable(inside: np.ndarray, view: Any) -> Any:
    """A boolean scipp index selecting `inside` along the stack's first dim."""
    import scipp as sc

    return sc.array(dims=[view.dims[0]], values=inside)


class Buffer(Generic[T]):
    """The newest `max_size` frames of one key, and those within `span_ns`.

    With ``max_size == 1`` and no span the buffer keeps a reference to the
    latest frame (a frame laid out differently still starts a new history).
    Otherwise frames are copied into preallocated storage of at most
    ``ceil(max_size * overallocation_factor)`` slots. When the storage is full,
    the kept frames are copied into fresh storage instead of being shifted in
    place, so views handed out stay valid and unchanged.

    A span keeps every frame whose time (its `time` coord, else its arrival
    time) lies within `span_ns` of the newest; `max_size` then grows to the
    frames that span holds, up to `max_span_frames`.

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
    span_ns:
        Also keep the frames within this many ns of the newest frame's time.
    memory:
        Asked before storage grows; told when the bytes held change.
    """

    max_span_frames = 1_000_000

    def __init__(
        self,
        max_size: int,
        buffer_impl: BufferInterface[T],
        initial_capacity: int = 100,
        overallocation_factor: float = 2.5,
        concat_dim: str = "time",
        span_ns: int | None = None,
        memory: MemoryGrant | None = None,
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
        self._span_ns = span_ns
        self._memory = memory
        self._storage: Any = None
        self._capacity = 0
        self._start = 0
        self._end = 0
        self._arrival: np.ndarray | None = None
        self._newest_ns: int | None = None
        self._nbytes = 0
        self._truncated = False
        self._appended = 0
        self.scratch: dict[Any, Any] = {}
        # Reference mode: the latest frame itself, checked against `_layout`.
        self._latest: T | None = None
        self._has_latest = False
        self._layout: Any = None
        # The storage's declared capabilities, found once (decision 025).
        self._check_latest = (
            buffer_impl.check_latest
            if isinstance(buffer_impl, ChecksKeptFrame)
            else buffer_impl.check
        )
        self._hands_out_arrays = isinstance(buffer_impl, HandsOutArrays)
        self._fixed_slot_bytes = has_fixed_slot_bytes(buffer_impl)
        # Whether writing a free slot is all an append does: no span to apply,
        # no bytes to recount (`append`'s short path).
        self._write_alone_appends = self._fixed_slot_bytes and span_ns is None

    @property
    def _reference_mode(self) -> bool:
        return self._max_size == 1 and self._span_ns is None

    @property
    def hands_out_arrays(self) -> bool:
        """Whether the storage hands out numpy views of its slots (`HandsOutArrays`)."""
        return self._hands_out_arrays

    @property
    def max_size(self) -> int:
        """Number of frames kept (grown to what the span holds)."""
        return self._max_size

    @property
    def span_ns(self) -> int | None:
        """Frames within this many ns of the newest are kept, if set."""
        return self._span_ns

    @property
    def max_capacity(self) -> int:
        """Slots the storage may ever allocate."""
        if self._reference_mode:
            return 1
        return math.ceil(self._max_size * self._overallocation_factor)

    @property
    def capacity(self) -> int:
        """Slots allocated now."""
        if self._reference_mode:
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
        return self._nbytes

    @property
    def truncated(self) -> bool:
        """Whether the memory budget made this buffer keep fewer frames than asked."""
        return self._truncated

    def __len__(self) -> int:
        """Number of frames held."""
        if self._reference_mode:
            return int(self._has_latest)
        return self._end - self._start

    def snapshot(self) -> BufferSnapshot[T]:
        """The frames held now, unchanged by later appends."""
        return BufferSnapshot(self)

    def held(self) -> tuple[Any, ...]:
        """Where the frames held now are: what a snapshot of them keeps, the
        fields of `HeldFrames` in its order."""
        return (
            self._impl,
            self._storage,
            self._start,
            self._end,
            self._latest,
            self._has_latest,
            # `_reference_mode` inline: a snapshot is taken per notification.
            self._max_size == 1 and self._span_ns is None,
            self._arrival,
            self._appended,
        )

    def append(self, frame: T) -> None:
        """Append one frame, dropping the oldest beyond `max_size`.

        Raises
        ------
        FrameMismatchError
            If `frame` does not fit; the buffer is then unchanged.
        """
        end = self._end
        if self._write_alone_appends and end < self._capacity:
            # The common case, kept short: a free slot, no span, bytes unchanged.
            self._impl.write(self._storage, end, frame)
            end += 1
            self._end = end
            if end - self._start > self._max_size:
                self._start = end - self._max_size
            self._appended += 1
            return
        if self._reference_mode:
            self._set_latest(frame)
        elif self._storage is None:
            self._start_storage(frame)
        else:
            self._append_stacked(frame)
        self._appended += 1

    def _append_stacked(self, frame: T) -> None:
        if self._end == self._capacity:
            self._append_to_fresh_storage(frame)
        else:
            self._impl.write(self._storage, self._end, frame)
            if self._arrival is not None:
                self._arrival[self._end] = time.time_ns()
            self._end += 1
        self._drop_oldest()
        self._account()

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
        self.set_retention(new_max_size, self._span_ns)

    def set_retention(self, frames: int, span_ns: int | None) -> None:
        """Grow to keep `frames` frames and those within `span_ns`; never shrinks.

        All or nothing: if the held frame cannot be moved into stacked storage,
        this raises and the buffer is unchanged.
        """
        new_span = span_ns
        if self._span_ns is not None:
            new_span = self._span_ns if span_ns is None else max(span_ns, self._span_ns)
        if frames <= self._max_size and new_span == self._span_ns:
            return
        was_reference = self._reference_mode
        saved = (self._state(), self._max_size, self._span_ns, self._layout)
        self._max_size = max(frames, self._max_size)
        self._span_ns = new_span
        self._write_alone_appends = self._fixed_slot_bytes and new_span is None
        if self._storage is not None:
            self._arrival = self._arrival_times(
                self._storage, self._capacity, reuse=True
            )
            self._account()
        if not was_reference or self._reference_mode:
            return
        latest, has_latest, layout = self._latest, self._has_latest, self._layout
        self._latest, self._has_latest, self._layout = None, False, None
        if not has_latest:
            return
        try:
            try:
                self._start_storage(latest, like=layout)
            except FrameMismatchError:
                # Coords or masks changed since the history began: a kept
                # reference is checked only for what the catalog describes.
                self._start_storage(latest)
        except BaseException:
            state, self._max_size, self._span_ns, self._layout = saved
            self._write_alone_appends = self._fixed_slot_bytes and self._span_ns is None
            self._restore(state)
            raise

    def shrink_to(self, frames: int) -> int:
        """Keep at most `frames` frames in storage of just that many slots.

        For the memory budget: the kept frames move to fresh storage (views
        handed out stay valid) and `max_size` becomes `frames`. Returns the
        bytes released.
        """
        if self._reference_mode or self._storage is None:
            return 0
        frames = max(1, frames)
        before = self._nbytes
        if frames == 1 and self._span_ns is None:
            # Back to reference mode: the latest frame alone, no storage.
            latest = self.get_latest()
            if hasattr(latest, "underlying_size"):
                # A view would keep the whole storage alive.
                latest = latest.copy()
            self._storage, self._capacity, self._start, self._end = None, 0, 0, 0
            self._arrival, self._max_size = None, 1
            self._latest, self._has_latest = latest, True
            self._layout = self._impl.allocate(latest, 0)
            self._nbytes = self._impl.frame_nbytes(latest)
            if self._memory is not None:
                self._memory.changed(self, self._nbytes - before)
            return before - self._nbytes
        keep = min(frames, self._end - self._start)
        if keep == self._capacity:
            return 0
        storage = self._impl.allocate_like(self._storage, keep)
        self._impl.copy_frames(self._storage, self._end - keep, self._end, storage, 0)
        arrival = self._arrival_times(storage, keep)
        if arrival is not None:
            arrival[:] = self._arrival[self._end - keep : self._end]
        self._storage, self._capacity, self._start, self._end = storage, keep, 0, keep
        self._arrival = arrival
        self._max_size = min(self._max_size, frames)
        self._account(tell=False)
        released = before - self._nbytes
        if self._memory is not None:
            self._memory.changed(self, -released)
        return released

    def get_latest(self) -> T | None:
        """The latest frame, or None if empty."""
        return self.snapshot().get_latest()

    def get_window(self, size: int) -> Any | None:
        """The last `size` frames (fewer if fewer are held), stacked; None if empty."""
        return self.snapshot().get_window(size)

    def get_all(self) -> Any | None:
        """Every frame held, stacked; None if empty."""
        return self.snapshot().get_all()

    def times(self) -> np.ndarray:
        """Time of each frame held (oldest first), ns since the epoch."""
        return self.snapshot().times()

    @property
    def impl(self) -> BufferInterface[T]:
        """The storage this buffer keeps its frames in."""
        return self._impl

    def held_frames(self) -> list[T]:
        """The frames held, oldest first (views, where the storage stacks them)."""
        if self._reference_mode:
            return [self._latest] if self._has_latest else []
        get_frame = self._impl.get_frame
        return [get_frame(self._storage, i) for i in range(self._start, self._end)]

    # Internals ---------------------------------------------------------------
    def _set_latest(self, frame: T) -> None:
        if self._layout is None or not self._has_latest:
            reason = self._impl.accepts(frame)
            if reason is not None:
                raise FrameMismatchError(reason)
            layout = self._impl.allocate(frame, 0)
        else:
            self._check_latest(self._layout, frame)
            layout = self._layout
        self._latest, self._has_latest, self._layout = frame, True, layout
        before = self._nbytes
        self._nbytes = self._impl.frame_nbytes(frame)
        if self._memory is not None and self._nbytes != before:
            self._memory.changed(self, self._nbytes - before)

    def _arrival_times(
        self, storage: Any, capacity: int, reuse: bool = False
    ) -> np.ndarray | None:
        """Slots for arrival times, needed only by a span over frames without time.

        Frames held before the span was asked for count as arriving now.
        """
        if self._span_ns is None or self._impl.times(storage) is not None:
            return None
        if reuse and self._arrival is not None:
            return self._arrival
        return np.full(capacity, time.time_ns(), dtype=np.int64)

    def _grant(self, capacity: int, slot_nbytes: int) -> int:
        """Slots the memory budget lets this buffer allocate, at most `capacity`."""
        if self._memory is None:
            return capacity
        extra = capacity * slot_nbytes - self._nbytes
        if extra <= 0 or self._memory.request(self, extra):
            return capacity
        # The budget keeps only what fits; at least one frame is always held.
        low, high = 1, capacity - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._memory.request(self, middle * slot_nbytes - self._nbytes):
                low = middle
            else:
                high = middle - 1
        if low < min(capacity, self._max_size):
            self._truncated = True
        return low

    def _start_storage(self, frame: T, like: Any = None) -> None:
        """Storage holding `frame`, laid out like `like` (its history's) if given."""
        if like is None:
            reason = self._impl.accepts(frame)
            if reason is not None:
                raise FrameMismatchError(reason)
        capacity = min(self._initial_capacity, self.max_capacity)
        capacity = self._grant(capacity, self._impl.frame_nbytes(frame) + 8)
        if like is None:
            storage = self._impl.allocate(frame, capacity)
        else:
            # The layout was derived when the history began (~50 us for scipp).
            storage = self._impl.allocate_like(like, capacity)
        self._impl.write(storage, 0, frame)
        arrival = self._arrival_times(storage, capacity)
        self._storage, self._capacity, self._start, self._end = storage, capacity, 0, 1
        self._arrival = arrival
        self._drop_oldest()  # with a span: the first frame's time is the newest
        self._account()

    def _span_keep(self, newest_ns: int) -> int:
        """How many of the held frames lie within the span of `newest_ns`."""
        times = frame_times(
            self._impl, self._storage, self._start, self._end, self._arrival
        )
        inside = times >= newest_ns - self._span_ns
        # From the oldest frame inside on, as `_drop_oldest` keeps them: a late
        # frame outside the span never takes the frames inside before it along.
        first = int(np.argmax(inside))
        return len(times) - first if inside[first] else 0

    def _append_to_fresh_storage(self, frame: T) -> None:
        # Views handed out may cover any slot of the current storage, so the kept
        # tail moves to new memory rather than being shifted in place.
        held = self._end - self._start
        keep = min(held, self._max_size - 1)
        if self._span_ns is not None and self._newest_ns is not None:
            within = min(self._span_keep(self._newest_ns), self.max_span_frames - 1)
            if within > keep:
                keep = within
                self._max_size = within + 1
        capacity = min(self.max_capacity, max(2 * self._capacity, keep + 1))
        slot_nbytes = max(1, self._nbytes // max(1, self._capacity))
        granted = self._grant(capacity, slot_nbytes)
        if granted < capacity:
            # A quarter of the granted slots stays free for new frames: keeping
            # all but one would copy the whole window on every append.
            room = max(1, granted // BUDGET_FREE_SHARE)
            if granted - room < keep:
                # Frames the frame count or the span asks for are let go.
                self._truncated = True
            keep = min(keep, granted - room)
            capacity = granted
        storage = self._impl.allocate_like(self._storage, capacity)
        self._impl.copy_frames(self._storage, self._end - keep, self._end, storage, 0)
        self._impl.write(storage, keep, frame)
        arrival = self._arrival_times(storage, capacity)
        if arrival is not None:
            if self._arrival is not None:
                arrival[:keep] = self._arrival[self._end - keep : self._end]
            arrival[keep] = time.time_ns()
        self._storage, self._capacity, self._start, self._end = (
            storage,
            capacity,
            0,
            keep + 1,
        )
        self._arrival = arrival

    def _drop_oldest(self) -> None:
        held = self._end - self._start
        if self._span_ns is None:
            if held > self._max_size:
                self._start = self._end - self._max_size
            return
        times = frame_times(
            self._impl, self._storage, self._start, self._end, self._arrival
        )
        newest = int(times[-1])
        if self._newest_ns is None or newest > self._newest_ns:
            self._newest_ns = newest
        if held <= self._max_size:
            return
        cutoff = self._newest_ns - self._span_ns
        # Oldest first, as long as both the frame count and the span allow it.
        drop = 0
        limit = held - self._max_size
        while drop < limit and times[drop] < cutoff:
            drop += 1
        self._start += drop

    def _account(self, tell: bool = True) -> None:
        nbytes = self._impl.nbytes(self._storage)
        if self._arrival is not None:
            nbytes += self._arrival.nbytes
        delta, self._nbytes = nbytes - self._nbytes, nbytes
        if tell and delta and self._memory is not None:
            self._memory.changed(self, delta)

    def _state(self) -> tuple[Any, ...]:
        return (
            self._storage,
            self._capacity,
            self._start,
            self._end,
            self._arrival,
            self._newest_ns,
            self._nbytes,
            self._latest,
            self._has_latest,
            self._layout,
            self._appended,
        )

    def _restore(self, state: tuple[Any, ...]) -> None:
        nbytes = self._nbytes
        (
            self._storage,
            self._capacity,
            self._start,
            self._end,
            self._arrival,
            self._newest_ns,
            self._nbytes,
            self._latest,
            self._has_latest,
            self._layout,
            self._appended,
        ) = state
        if self._memory is not None and nbytes != self._nbytes:
            self._memory.changed(self, self._nbytes - nbytes)
