"""A cleared history stays cleared after a restart (decision 048).

A restart fills its buffers from its recordings and Kafka's look-back; frames
of a key stamped before an operator cleared it would come back. The audit
(decision 081) says when each key was last cleared.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from app.sources.message import Message, MessageSource, SourceInFront


class ClearedStaysCleared(SourceInFront):
    """`source` without the frames of each key stamped at or before its clear.

    Parameters
    ----------
    source:
        The starting process's source (restore, look-back, live).
    cleared_ns:
        Per key, when its history was last cleared (ns since the epoch).
    """

    def __init__(self, source: MessageSource, cleared_ns: Mapping[Hashable, int]):
        super().__init__(source)
        self._cleared = dict(cleared_ns)
        self.dropped = 0

    def get_messages(self) -> list[Message]:
        messages = self._source.get_messages()
        cleared = self._cleared
        kept = [m for m in messages if m.timestamp > cleared.get(m.key, -1)]
        self.dropped += len(messages) - len(kept)
        return kept
