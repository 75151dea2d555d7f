"""Extractors: how a subscriber wants to see a key's buffer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .buffer import Buffer

DEFAULT_MAX_SIZE = 10_000
"""Frames a buffer keeps for a `FullHistoryExtractor`."""


@dataclass(frozen=True)
class Retention:
    """What a subscriber needs a key's buffer to keep.

    Today a number of frames. A retention by time span (the last 60 s) would add a
    field here and a rule in `union`; the service only ever combines retentions.
    """

    frames: int = 1

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError(f"a buffer keeps at least one frame, got {self.frames}")

    def union(self, other: Retention) -> Retention:
        """The retention that satisfies both."""
        return Retention(frames=max(self.frames, other.frames))


@runtime_checkable
class UpdateExtractor(Protocol):
    """Reads what a subscriber wants from a buffer and says what it needs kept."""

    def retention(self) -> Retention:
        """What the buffer must keep for `extract` to be complete."""
        ...

    def extract(self, buffer: Buffer[Any]) -> Any | None:
        """The data handed to the subscriber, or None if the buffer is empty."""
        ...


@dataclass(frozen=True)
class LatestValueExtractor(UpdateExtractor):
    """The latest frame, exactly as it was assigned."""

    def retention(self) -> Retention:
        return Retention(frames=1)

    def extract(self, buffer: Buffer[Any]) -> Any | None:
        return buffer.get_latest()


@dataclass(frozen=True)
class WindowExtractor(UpdateExtractor):
    """The last `size` frames, stacked (fewer until that many have arrived)."""

    size: int

    def __post_init__(self) -> None:
        if self.size < 1:
            raise ValueError(f"window size must be at least 1, got {self.size}")

    @property
    def window_size(self) -> int:
        return self.size

    def retention(self) -> Retention:
        return Retention(frames=self.size)

    def extract(self, buffer: Buffer[Any]) -> Any | None:
        return buffer.get_window(self.size)


@dataclass(frozen=True)
class FullHistoryExtractor(UpdateExtractor):
    """Every frame the buffer holds: the newest `DEFAULT_MAX_SIZE`."""

    def retention(self) -> Retention:
        return Retention(frames=DEFAULT_MAX_SIZE)

    def extract(self, buffer: Buffer[Any]) -> Any | None:
        return buffer.get_all()
