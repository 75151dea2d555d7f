"""The seam between where data comes from and the DataService: messages and sources."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import scipp as sc

TIME_DIM = "time"
"""Name of the 0-D coord that carries a value's timestamp (and the stacking dim)."""


@dataclass(frozen=True)
class Message:
    """One value of one key, as it arrived.

    Parameters
    ----------
    key:
        Name of the stream, e.g. ``'monitor/m1'``; for Kafka the source name.
    value:
        The frame; scipp values carry ``timestamp`` as a 0-D ``time`` coord.
    timestamp:
        When the value was measured, in ns since the Unix epoch.
    """

    key: str
    value: Any
    timestamp: int


@dataclass(frozen=True)
class SourceStatus:
    """What a source tells the operator about itself, for the status line.

    Parameters
    ----------
    connected:
        Whether data can arrive.
    description:
        The source and what stands in its way, in words.
    lost:
        Records lost so far, per reason: skipped (`app.sources.reasons.Reason`) or
        dropped behind (`app.sources.reasons.DROPPED_BEHIND`); running totals.
    impaired:
        What keeps part of the data away while the rest arrives (one missing
        topic of two), in words; empty if nothing. Only while `connected`:
        the pill is then amber, not red (decision 076).
    on_change_keys:
        Keys that publish only when their value changes (f144 logs, a motor
        at rest): their quiet is not stale while the source is connected
        (decision 076).
    replay:
        What says the data is not live, e.g. ``'REPLAY 10x'``; empty for live
        data. The pill shows it in place of "live".
    """

    connected: bool
    description: str
    lost: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    impaired: str = ""
    on_change_keys: frozenset[str] = frozenset()
    replay: str = ""


@runtime_checkable
class MessageSource(Protocol):
    """Anything that hands out the messages that have arrived since the last call."""

    def get_messages(self) -> list[Message]:
        """The messages that have arrived, oldest first; never blocks."""
        ...

    def close(self) -> None:
        """Release connections and threads; idempotent."""
        ...

    @property
    def status(self) -> SourceStatus:
        """Whether the source reaches its data, in words for the operator."""
        ...


@runtime_checkable
class NotifyingSource(MessageSource, Protocol):
    """A source that says when messages arrive, so they are drained at once."""

    def notify_arrivals(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from any thread, quickly) whenever messages queue."""
        ...


class SourceInFront:
    """A source in front of another that changes only what `get_messages`
    hands out: arrivals, closing and status are the inner source's."""

    def __init__(self, source: MessageSource) -> None:
        self._source = source

    def get_messages(self) -> list[Message]:
        return self._source.get_messages()

    def notify_arrivals(self, callback: Callable[[], None]) -> None:
        if isinstance(self._source, NotifyingSource):
            self._source.notify_arrivals(callback)

    def close(self) -> None:
        self._source.close()

    @property
    def status(self) -> SourceStatus:
        return self._source.status


def time_coord(timestamp_ns: int) -> sc.Variable:
    """The 0-D ``time`` coord (datetime64, unit ns) for a timestamp."""
    return sc.datetime(int(timestamp_ns), unit="ns")


def stamped(value: sc.DataArray, timestamp_ns: int) -> sc.DataArray:
    """``value`` with its timestamp as 0-D ``time`` coord (in place; returned)."""
    value.coords[TIME_DIM] = time_coord(timestamp_ns)
    return value
