"""The data layer: one buffer per key, subscribers that extract what they need."""

from app.data.aggregating import AggregatingExtractor
from app.data.buffer import Buffer, BufferInterface, BufferSnapshot, FrameMismatchError
from app.data.extractors import (
    DEFAULT_MAX_SIZE,
    FullHistoryExtractor,
    LatestValueExtractor,
    Retention,
    TimeWindowExtractor,
    UpdateExtractor,
    WindowExtractor,
)
from app.data.factory import BufferFactory
from app.data.frame_references import FrameReferences
from app.data.list_buffer import ListBuffer
from app.data.memory import DEFAULT_MAX_BYTES, MemoryBudget
from app.data.scipp_buffers import DataArrayBuffer, VariableBuffer
from app.data.service import (
    BufferStats,
    DataService,
    KeyInfo,
    MemoryStats,
    SubscriberProtocol,
)
from app.data.sink import DataSink
from app.data.store import LazyStore

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
    "DataSink",
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
