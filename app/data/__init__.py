"""The data layer: one buffer per key, subscribers that extract what they need."""

from .aggregating import AggregatingExtractor
from .buffer import Buffer, BufferInterface, BufferSnapshot, FrameMismatchError
from .extractors import (
    DEFAULT_MAX_SIZE,
    FullHistoryExtractor,
    LatestValueExtractor,
    Retention,
    TimeWindowExtractor,
    UpdateExtractor,
    WindowExtractor,
)
from .factory import BufferFactory
from .frame_references import FrameReferences
from .list_buffer import ListBuffer
from .memory import DEFAULT_MAX_BYTES, MemoryBudget
from .scipp_buffers import DataArrayBuffer, VariableBuffer
from .service import (
    BufferStats,
    DataService,
    KeyInfo,
    MemoryStats,
    SubscriberProtocol,
)
from .store import LazyStore

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_SIZE",
    "AggregatingExtractor",
    "Buffer",
    "BufferFactory",
    "BufferInterface",
    "BufferSnapshot",
    "BufferStats",
    "DataArrayBuffer",
    "DataService",
    "FrameMismatchError",
    "FrameReferences",
    "FullHistoryExtractor",
    "KeyInfo",
    "LatestValueExtractor",
    "LazyStore",
    "ListBuffer",
    "MemoryBudget",
    "MemoryStats",
    "Retention",
    "SubscriberProtocol",
    "TimeWindowExtractor",
    "UpdateExtractor",
    "VariableBuffer",
    "WindowExtractor",
]
