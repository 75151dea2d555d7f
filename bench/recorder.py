"""The subscriber every benchmark registers: it keeps what it is handed."""

from __future__ import annotations

from typing import Any

from app.data import UpdateExtractor


class Recorder:
    """Subscribes to one key through one extractor; counts and keeps its triggers."""

    def __init__(self, key: str, extractor: UpdateExtractor) -> None:
        self.keys = {key}
        self.extractors = {key: extractor}
        self.received: Any = None
        self.triggers = 0

    def trigger(self, store: dict[str, Any]) -> None:
        self.received = store
        self.triggers += 1
