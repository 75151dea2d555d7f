"""Storage that keeps frames as Python objects, for anything that cannot be stacked."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import scipp as sc


def object_nbytes(value: Any) -> int:
    """Bytes held by one value, counting array memory where it is known."""
    if isinstance(value, sc.DataArray | sc.Variable | sc.Dataset):
        return value.underlying_size()
    if isinstance(value, np.ndarray):
        return value.nbytes
    return sys.getsizeof(value)


class ListBuffer:
    """Keeps each frame as the object it is; a window is a list of frames.

    One frame per slot whatever the frame is (a list stays one frame), so
    ``ds[k] = v; ds[k]`` returns `v` itself.
    """

    def accepts(self, frame: Any) -> str | None:
        return None

    def allocate(self, template: Any, capacity: int) -> list[Any]:
        return []

    def allocate_like(self, storage: list[Any], capacity: int) -> list[Any]:
        return []

    def check(self, storage: list[Any], frame: Any) -> str | None:
        return None

    def write(self, storage: list[Any], index: int, frame: Any) -> None:
        # Slots past the end may remain from a rolled-back `Buffer.extend`.
        if index == len(storage):
            storage.append(frame)
        else:
            storage[index] = frame

    def copy_frames(
        self,
        source: list[Any],
        start: int,
        end: int,
        target: list[Any],
        target_start: int,
    ) -> None:
        target[target_start : target_start + end - start] = source[start:end]

    def get_view(self, storage: list[Any], start: int, end: int) -> list[Any]:
        return storage[start:end]

    def get_frame(self, storage: list[Any], index: int) -> Any:
        return storage[index]

    def nbytes(self, storage: list[Any]) -> int:
        return sys.getsizeof(storage) + sum(object_nbytes(frame) for frame in storage)

    def frame_nbytes(self, frame: Any) -> int:
        return object_nbytes(frame)
