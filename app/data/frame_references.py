"""FrameReferences: a history of scipp frames kept as the frames themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from app.data.buffer import ChecksKeptFrame
from app.data.scipp_buffers import DataArrayStack


@dataclass
class ReferenceSlots:
    """Slots of a `FrameReferences`: frames and what checking them read.

    `layout` is the stacking storage's (no slots) the frames are checked
    against, so a history holds exactly the frames that would stack.
    """

    layout: Any
    frames: list[Any]
    values: list[Any]
    variances: list[Any] | None
    times: np.ndarray | None
    slot_nbytes: int


class FrameReferences:
    """Keeps each frame of a stacking storage's history by reference.

    For keys whose subscribers read frames one at a time (the running sums of
    `AggregatingExtractor`), copying every frame into a stack would cost more
    than everything else per update: here a frame is checked exactly as the
    stacking storage `inner` checks it (decision 012), then kept. A stacked
    view is built on demand, a copy. Producers never change a value they
    handed over (decision 001), so a kept frame stays what it was.

    Bytes are counted as if every slot held a frame as large as the
    history's first (its `underlying_size`, coords included), so the memory
    budget is asked before slots exist, as for a stack (decision 016).
    """

    fixed_slot_bytes = True

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._check_inner_latest = (
            inner.check_latest if isinstance(inner, ChecksKeptFrame) else inner.check
        )

    @property
    def inner(self) -> Any:
        """The stacking storage whose frames this keeps."""
        return self._inner

    def accepts(self, frame: Any) -> str | None:
        return self._inner.accepts(frame)

    def allocate(self, template: Any, capacity: int) -> ReferenceSlots:
        layout = self._inner.allocate(template, 0)
        return self._slots(layout, capacity, template.underlying_size())

    def allocate_like(self, storage: ReferenceSlots, capacity: int) -> ReferenceSlots:
        return self._slots(storage.layout, capacity, storage.slot_nbytes)

    @staticmethod
    def _slots(layout: Any, capacity: int, slot_nbytes: int) -> ReferenceSlots:
        times = None
        if isinstance(layout, DataArrayStack) and layout.times is not None:
            times = np.zeros(capacity, dtype=layout.layout.written_time_dtype)
        variances = None
        if layout.variances is not None:
            variances = [None] * capacity
        return ReferenceSlots(
            layout, [None] * capacity, [None] * capacity, variances, times, slot_nbytes
        )

    def check(self, storage: ReferenceSlots, frame: Any) -> None:
        self._inner.read_frame(storage.layout, frame)

    def check_latest(self, storage: ReferenceSlots, frame: Any) -> None:
        self._check_inner_latest(storage.layout, frame)

    def write(self, storage: ReferenceSlots, index: int, frame: Any) -> None:
        values, variances, time = self._inner.read_frame(storage.layout, frame)
        storage.frames[index] = frame
        storage.values[index] = values
        if storage.variances is not None:
            storage.variances[index] = variances
        if storage.times is not None:
            storage.times[index] = time

    def copy_frames(
        self,
        source: ReferenceSlots,
        start: int,
        end: int,
        target: ReferenceSlots,
        target_start: int,
    ) -> None:
        stop = target_start + end - start
        target.frames[target_start:stop] = source.frames[start:end]
        target.values[target_start:stop] = source.values[start:end]
        if target.variances is not None:
            target.variances[target_start:stop] = source.variances[start:end]
        if target.times is not None:
            target.times[target_start:stop] = source.times[start:end]

    def get_arrays(
        self, storage: ReferenceSlots, start: int, end: int
    ) -> tuple[list[Any], list[Any] | None]:
        """Values and variances of slots ``[start, end)``: one numpy view (or
        scalar, for 0-D frames) per frame."""
        variances = storage.variances
        return (
            storage.values[start:end],
            None if variances is None else variances[start:end],
        )

    def get_view(self, storage: ReferenceSlots, start: int, end: int) -> Any:
        """Slots ``[start, end)`` stacked: a copy, never changed later."""
        stack = self._inner.allocate_like(storage.layout, end - start)
        for slot, frame in enumerate(storage.frames[start:end]):
            self._inner.write(stack, slot, frame)
        return self._inner.get_view(stack, 0, end - start)

    def get_frame(self, storage: ReferenceSlots, index: int) -> Any:
        return storage.frames[index]

    def times(self, storage: ReferenceSlots) -> np.ndarray | None:
        if storage.times is None:
            return None
        return storage.layout.layout.in_ns(storage.times)

    def nbytes(self, storage: ReferenceSlots) -> int:
        times = storage.times
        return len(storage.frames) * storage.slot_nbytes + (
            0 if times is None else times.nbytes
        )

    def frame_nbytes(self, frame: Any) -> int:
        return frame.underlying_size()
