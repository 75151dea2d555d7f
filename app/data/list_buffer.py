"""Storage that keeps frames as Python objects, for anything that cannot be stacked."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import scipp as sc

from app.data.buffer import FrameMismatchError


def object_nbytes(value: Any) -> int:
    """Bytes held by one value, counting array memory where it is known."""
    if isinstance(value, sc.DataArray | sc.Variable | sc.Dataset):
        return value.underlying_size()
    if isinstance(value, np.ndarray):
        return value.nbytes
    return sys.getsizeof(value)


class ObjectSlots(list):
    """Frames kept as objects, all of the type `kind`."""

    def __init__(self, kind: type) -> None:
        super().__init__()
        self.kind = kind
        # Kept up to date by `ListBuffer`, so reading it costs nothing.
        self.nbytes = sys.getsizeof(self)


class ListBuffer:
    """Keeps each frame as the object it is; a window is a list of frames.

    One frame per slot whatever the frame is (a list stays one frame), so
    ``ds[k] = v; ds[k]`` returns `v` itself. A frame of another type than the
    first does not fit, so a key whose values become stackable again gets a
    stacking buffer anew.
    """

    def accepts(self, frame: Any) -> str | None:
        return None

    def allocate(self, template: Any, capacity: int) -> ObjectSlots:
        return ObjectSlots(type(template))

    def allocate_like(self, storage: ObjectSlots, capacity: int) -> ObjectSlots:
        return ObjectSlots(storage.kind)

    def check(self, storage: ObjectSlots, frame: Any) -> None:
        if type(frame) is not storage.kind:
            raise FrameMismatchError(
                f"expected a {storage.kind.__name__}, got {type(frame).__name__}"
            )

    def write(self, storage: ObjectSlots, index: int, frame: Any) -> None:
        self.check(storage, frame)
        # Slots past the end may remain from a rolled-back `Buffer.extend`.
        if index == len(storage):
            storage.append(frame)
        else:
            storage.nbytes -= object_nbytes(storage[index])
            storage[index] = frame
        storage.nbytes += object_nbytes(frame)

    def copy_frames(
        self,
        source: list[Any],
        start: int,
        end: int,
        target: list[Any],
        target_start: int,
    ) -> None:
        frames = source[start:end]
        target[target_start : target_start + end - start] = frames
        target.nbytes += sum(object_nbytes(frame) for frame in frames)

    def get_view(self, storage: list[Any], start: int, end: int) -> list[Any]:
        return storage[start:end]

    def get_frame(self, storage: list[Any], index: int) -> Any:
        return storage[index]

    def times(self, storage: ObjectSlots) -> None:
        return None

    def nbytes(self, storage: ObjectSlots) -> int:
        return storage.nbytes

    def frame_nbytes(self, frame: Any) -> int:
        return object_nbytes(frame)
