"""DataSink: the part of a `DataService` the ingestion writes to."""

from __future__ import annotations

from collections.abc import Hashable
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar, runtime_checkable

K_contra = TypeVar("K_contra", bound=Hashable, contravariant=True)


@runtime_checkable
class DataSink(Protocol[K_contra]):
    """Where the ingestion writes values by key, a batch in one transaction.

    Generic in the key it takes: a sink of any hashable key (`DataService`,
    `KeyActivity`) serves a writer of `str` keys (the `Orchestrator`). A sink
    may refuse a value by raising.
    """

    def transaction(self) -> AbstractContextManager[Any]:
        """A block whose writes subscribers are told of once, when it ends."""
        ...

    def __setitem__(self, key: K_contra, value: Any) -> None: ...
