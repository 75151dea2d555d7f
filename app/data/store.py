"""LazyStore: what a subscriber is handed, each value extracted when first read."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from app.data.buffer import Buffer, BufferSnapshot
from app.data.extractors import UpdateExtractor

# Extractions share a few locks instead of allocating one each: an Extraction
# is made per notification, and reading one while another thread does is rare.
_LOCKS = tuple(threading.Lock() for _ in range(64))


class Extraction(BufferSnapshot[Any]):
    """One extractor's view of one key at one notification, computed once.

    It is the buffer's snapshot, taken when the extraction is made, so reading
    it later (after more appends) gives what extracting at notification time
    would have given. Snapshot and extraction are one object because one is
    made per key and extractor on every notification (decision 010).
    """

    __slots__ = ("_done", "_extractor", "_value")

    def __init__(self, extractor: UpdateExtractor, buffer: Buffer[Any]) -> None:
        # `BufferSnapshot.__init__` inline (keep the two alike): one call fewer
        # per notification.
        self._buffer = buffer
        self._held = buffer.held()
        self._extractor = extractor
        self._value: Any = None
        self._done = False

    def value(self) -> Any:
        if self._done:
            return self._value
        with _LOCKS[id(self) >> 4 & 63]:
            if not self._done:
                self._value = self._extractor.extract(self)
                self._done = True
        return self._value


class LazyStore(Mapping[Hashable, Any]):
    """The keys updated by one transaction, each extracted on first access.

    A read-only Mapping (``store[key]``, ``key in store``, iteration), shared by
    every subscriber that sees the same keys through equal extractors, and
    equal to the dict of its values. Keys whose history was deleted or
    cleared and that hold no frame now are not keys of the store; they are in
    `cleared`, so a plot can show "no data". `truncated` names the keys whose
    buffer keeps fewer frames than asked, because of the memory budget.
    """

    __slots__ = ("_extractions", "cleared")

    def __init__(
        self,
        extractions: dict[Hashable, Extraction],
        cleared: frozenset[Hashable] = frozenset(),
    ) -> None:
        self._extractions = extractions
        self.cleared = cleared

    def __getitem__(self, key: Hashable) -> Any:
        return self._extractions[key].value()

    def __contains__(self, key: object) -> bool:
        return key in self._extractions

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._extractions)

    def __len__(self) -> int:
        return len(self._extractions)

    def __bool__(self) -> bool:
        return bool(self._extractions) or bool(self.cleared)

    @property
    def truncated(self) -> frozenset[Hashable]:
        """Keys whose window the memory budget truncated."""
        return frozenset(k for k, e in self._extractions.items() if e.truncated)

    def __repr__(self) -> str:
        cleared = f", cleared={set(self.cleared)}" if self.cleared else ""
        return f"LazyStore({dict(self)}{cleared})"
