"""Extractors: how a subscriber wants to see a key's buffer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from app.data.buffer import BufferSnapshot

DEFAULT_MAX_SIZE = 10_000
"""Frames a buffer keeps for a `FullHistoryExtractor`."""

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class Retention:
    """What a subscriber needs a key's buffer to keep.

    `frames`: at least this many of the newest frames; `seconds`: also every
    frame within this many seconds of the newest frame's time. The buffer
    keeps enough for both. `by_reference`: the extractor reads the frames one
    at a time (`get_numbered_arrays`, `get_latest`), so the buffer may keep
    the frames themselves instead of copying them into a stack; a stacked
    view then costs a copy (decision 016). Kept only while every subscriber
    of the key says so.
    """

    frames: int = 1
    seconds: float | None = None
    by_reference: bool = False

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError(f"a buffer keeps at least one frame, got {self.frames}")
        if self.seconds is not None and not self.seconds > 0:
            raise ValueError(f"a time span must be positive, got {self.seconds}")

    @property
    def span_ns(self) -> int | None:
        """`seconds` in ns, or None."""
        return None if self.seconds is None else round(self.seconds * NS_PER_S)

    def union(self, other: Retention) -> Retention:
        """The retention that satisfies both."""
        spans = [s for s in (self.seconds, other.seconds) if s is not None]
        return Retention(
            frames=max(self.frames, other.frames),
            seconds=max(spans) if spans else None,
            by_reference=self.unstacked and other.unstacked,
        )

    @property
    def keeps_references(self) -> bool:
        """Whether a buffer may keep the frames themselves (decision 016): all
        subscribers read them one at a time, and more than the latest is kept
        (the latest alone is kept by reference anyway)."""
        return self.by_reference and (self.frames > 1 or self.seconds is not None)

    @property
    def unstacked(self) -> bool:
        """Whether this never asks for frames stacked: read one at a time, or
        only the latest frame (which a buffer keeps by reference anyway)."""
        return self.by_reference or (self.frames == 1 and self.seconds is None)


@runtime_checkable
class UpdateExtractor(Protocol):
    """Reads what a subscriber wants from a buffer and says what it needs kept.

    `extract` is called only on a buffer that holds at least one frame, and
    reads a `BufferSnapshot` (or a `Buffer`: both read the same way).
    Whatever it returns, None included, is handed to the subscriber.
    """

    def retention(self) -> Retention:
        """What the buffer must keep for `extract` to be complete."""
        ...

    def extract(self, buffer: BufferSnapshot[Any]) -> Any:
        """The data handed to the subscriber."""
        ...


@dataclass(frozen=True)
class LatestValueExtractor(UpdateExtractor):
    """The latest frame, exactly as it was assigned."""

    def retention(self) -> Retention:
        return Retention(frames=1)

    def extract(self, buffer: BufferSnapshot[Any]) -> Any:
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

    def extract(self, buffer: BufferSnapshot[Any]) -> Any:
        return buffer.get_window(self.size)


@dataclass(frozen=True)
class TimeWindowExtractor(UpdateExtractor):
    """The frames whose time lies within `seconds` of the newest frame's time.

    A frame's time is its 0-D `time` coord (datetime64, or a number in a time
    unit; ns when it has none); a frame without one counts at its arrival. The
    window is ``t >= t_newest - seconds`` (equal times are in), where
    ``t_newest`` is the largest time held, so a frame arriving out of order is
    in exactly when its time is; frames stay in arrival order. Stacked like
    `WindowExtractor`: a view when the frames inside are the newest ones, a
    copy when a late frame splits them.
    """

    seconds: float

    def __post_init__(self) -> None:
        if not self.seconds > 0:
            raise ValueError(f"a time window must be positive, got {self.seconds}")

    def retention(self) -> Retention:
        return Retention(seconds=self.seconds)

    def extract(self, buffer: BufferSnapshot[Any]) -> Any:
        times = buffer.times()
        newest = int(times.max())
        return buffer.get_since(newest - round(self.seconds * NS_PER_S))


@dataclass(frozen=True)
class FullHistoryExtractor(UpdateExtractor):
    """Every frame the buffer holds: the newest `DEFAULT_MAX_SIZE`."""

    def retention(self) -> Retention:
        return Retention(frames=DEFAULT_MAX_SIZE)

    def extract(self, buffer: BufferSnapshot[Any]) -> Any:
        return buffer.get_all()
