"""The data layer: one buffer per key, subscribers that extract what they need."""

from .buffer import Buffer, BufferInterface, FrameMismatchError
from .extractors import (
    DEFAULT_MAX_SIZE,
    FullHistoryExtractor,
    LatestValueExtractor,
    Retention,
    UpdateExtractor,
    WindowExtractor,
)
from .factory import BufferFactory
from .list_buffer import ListBuffer
from .scipp_buffers import DataArrayBuffer, VariableBuffer
from .service import BufferStats, DataService, KeyInfo, SubscriberProtocol

__all__ = [
    "DEFAULT_MAX_SIZE",
    "Buffer",
    "BufferFactory",
    "BufferInterface",
    "BufferStats",
    "DataArrayBuffer",
    "DataService",
    "FrameMismatchError",
    "FullHistoryExtractor",
    "KeyInfo",
    "LatestValueExtractor",
    "ListBuffer",
    "Retention",
    "SubscriberProtocol",
    "UpdateExtractor",
    "VariableBuffer",
    "WindowExtractor",
]
