"""MemoryBudget: the bytes all buffers of one DataService may hold together."""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from typing import Any

from app.data.buffer import Buffer
from app.sources.throttled_log import ThrottledLog

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1 << 30
"""A service's buffers hold at most 1 GiB unless told otherwise."""


class MemoryBudget:
    """Grants buffers memory until `max_bytes` are held, then trims and refuses.

    A buffer asks before its storage grows. When the grow would pass the
    budget, histories that keep more than their subscribers strictly need
    (overallocated slots, frames no subscriber wants any more) give back their
    oldest frames first; a request that still does not fit is refused, and the
    buffer keeps fewer frames than asked (it is marked truncated).

    Parameters
    ----------
    max_bytes:
        Bytes all buffers may hold together.
    needed_frames:
        Frames the subscribers of a key strictly need, per key.
    """

    def __init__(
        self, max_bytes: int, needed_frames: Callable[[Hashable, Buffer[Any]], int]
    ) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.max_bytes = max_bytes
        self.held = 0
        # Requests refused so far: a running total, for monitoring.
        self.refusals = 0
        # One topic for every key: a full budget refuses every key's growth,
        # thousands of times a minute, and one line per interval says so.
        self._log = ThrottledLog(logger)
        self._needed_frames = needed_frames
        self._keys: dict[int, Hashable] = {}
        self._buffers: dict[Hashable, Buffer[Any]] = {}

    def track(self, key: Hashable, buffer: Buffer[Any]) -> None:
        """Count `buffer` as the storage of `key` (replacing its previous one)."""
        self.forget(key)
        self._buffers[key] = buffer
        self._keys[id(buffer)] = key
        self.held += buffer.nbytes

    def forget(self, key: Hashable) -> None:
        """Stop counting the buffer of `key`."""
        buffer = self._buffers.pop(key, None)
        if buffer is not None:
            del self._keys[id(buffer)]
            self.held -= buffer.nbytes

    def changed(self, buffer: Buffer[Any], delta: int) -> None:
        if id(buffer) in self._keys:
            self.held += delta

    def request(self, buffer: Buffer[Any], nbytes: int) -> bool:
        if self.held + nbytes <= self.max_bytes:
            return True
        self._release(self.held + nbytes - self.max_bytes, exclude=buffer)
        if self.held + nbytes <= self.max_bytes:
            return True
        self.refusals += 1
        key = self._keys.get(id(buffer), "(a new history)")
        if not buffer.truncated:
            self._log.warning(
                "refused",
                "key %r: memory budget of %d bytes reached (%d held); refused %d more "
                "bytes, so the key may keep fewer frames than asked (window truncated)",
                key,
                self.max_bytes,
                self.held,
                nbytes,
            )
        return False

    def _release(self, wanted: int, exclude: Buffer[Any]) -> None:
        # Largest surplus first: fewest histories lose frames.
        surplus = []
        for key, buffer in self._buffers.items():
            if buffer is exclude or len(buffer) == 0 or buffer.capacity <= 1:
                continue
            needed = self._needed_frames(key, buffer)
            if buffer.capacity > needed:
                per_slot = buffer.nbytes / buffer.capacity
                surplus.append(((buffer.capacity - needed) * per_slot, needed, buffer))
        released = 0
        for _, needed, buffer in sorted(surplus, key=lambda s: -s[0]):
            if released >= wanted:
                break
            released += buffer.shrink_to(needed)
