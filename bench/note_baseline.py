"""The design note's straightforward DataService, for side-by-side benchmarks only.

A `Buffer` of `max_size` frames in one preallocated stacked DataArray of
``ceil(max_size * 2.5)`` slots; each append writes the frame into the next
slot and, when the storage is full, shifts the kept tail to the front in
place. Subscribers are notified after every set outside a transaction, each
extractor run eagerly: a window is a copy of the last n frames (the storage
is overwritten in place, so a view would change), latest the last frame.
"""

from __future__ import annotations

import math
from typing import Any

import scipp as sc


class NoteBuffer:
    def __init__(self, template: sc.DataArray, max_size: int) -> None:
        self.max_size = max_size
        capacity = math.ceil(max_size * 2.5)
        data = sc.zeros(
            dims=["time", *template.dims],
            shape=[capacity, *template.shape],
            unit=template.unit,
            dtype=template.dtype,
        )
        self.storage = sc.DataArray(data)
        for name, coord in template.coords.items():
            if name != "time":
                self.storage.coords[name] = coord
        time = template.coords["time"]
        self.times = sc.zeros(
            sizes={"time": capacity}, dtype=time.dtype, unit=time.unit
        )
        self.storage.coords["time"] = self.times
        self.capacity = capacity
        self.end = 0

    def append(self, frame: sc.DataArray) -> None:
        if self.end == self.capacity:
            keep = self.max_size - 1
            self.storage.data["time", :keep] = self.storage.data[
                "time", self.end - keep : self.end
            ]
            self.times["time", :keep] = self.times["time", self.end - keep : self.end]
            self.end = keep
        self.storage.data["time", self.end] = frame.data
        self.times["time", self.end] = frame.coords["time"]
        self.end += 1

    def window(self, size: int) -> sc.DataArray:
        start = max(0, self.end - min(size, self.max_size))
        return self.storage["time", start : self.end].copy()

    def latest(self) -> sc.DataArray:
        return self.storage["time", self.end - 1].copy()


class NoteService:
    """Set, append, notify every subscriber of the key with an eager extraction."""

    def __init__(self) -> None:
        self.buffers: dict[str, NoteBuffer] = {}
        self.subscribers: list[tuple[str, int | None, Any]] = []

    def subscribe(self, key: str, window: int | None, subscriber: Any) -> None:
        self.subscribers.append((key, window, subscriber))

    def __setitem__(self, key: str, frame: sc.DataArray) -> None:
        buffer = self.buffers.get(key)
        if buffer is None:
            sizes = [w or 1 for k, w, _ in self.subscribers if k == key]
            buffer = self.buffers[key] = NoteBuffer(frame, max(sizes, default=1))
        buffer.append(frame)
        for sub_key, window, subscriber in self.subscribers:
            if sub_key == key:
                data = buffer.latest() if window is None else buffer.window(window)
                subscriber.trigger({key: data})
