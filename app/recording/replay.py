"""A source that replays recordings through Kafka's decoder (decision 019)."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from app.recording.files import recording_files
from app.recording.nexus import is_nexus, nxlog_records
from app.recording.pace import speed_words
from app.recording.reader import read_records
from app.sources.codec import F144, DecodeError, Decoder
from app.sources.message import Message, SourceStatus
from app.sources.reasons import Reason
from app.sources.throttled_log import ThrottledLog
from app.sources.wire import WireRecord

logger = logging.getLogger(__name__)

MAX_MESSAGES_PER_CALL = 1_000
"""Most messages one `get_messages` hands out; more due wake the ingestion again."""
_ON_CHANGE_SCHEMA = F144.encode()


class ReplaySource:
    """The records of a recording, decoded as Kafka's were, paced by the time
    they arrived.

    Parameters
    ----------
    path:
        A recording file, a directory of them (read oldest first), a list
        of files, or a NeXus file whose NXlog groups replay as logs
        (`app.recording.nexus`).
    speed:
        Recorded seconds per second: 1 is real time,
        `app.recording.pace.MAX_SPEED` as fast as the dashboard applies.
    loop:
        Start again from the beginning after the last record.
    start_ns:
        Skip records that arrived before this host time (ns since the epoch).
    until_ns:
        Skip records that arrived at or after this host time.
    start_offset_s:
        Skip the first seconds of the recording, counted from its first
        record (at or after `start_ns`).
    log_units:
        Units of f144 sources, as for Kafka.
    clock:
        Monotonic ns, for pacing; replaceable in tests.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | Sequence[Path],
        *,
        speed: float = 1.0,
        loop: bool = False,
        start_ns: int | None = None,
        until_ns: int | None = None,
        start_offset_s: float = 0.0,
        log_units: Mapping[str, str] | None = None,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._nexus: list[WireRecord] | None = None
        if isinstance(path, str | os.PathLike) and is_nexus(path):
            self._nexus, units = nxlog_records(path)
            # The file's units, unless the operator named others.
            log_units = {**units, **(log_units or {})}
            self._files = found = (Path(path),)
            self._name = Path(path).name
            if not self._nexus:
                raise FileNotFoundError(f"no NXlog values in {str(path)!r}")
        elif isinstance(path, str | os.PathLike):
            self._files: str | os.PathLike[str] | tuple[Path, ...] = path
            self._name = Path(path).name
            found = recording_files(path)
        else:
            self._files = found = tuple(path)
            self._name = f"{len(found)} recording files"
        if not found:
            raise FileNotFoundError(f"no recording files in {str(path)!r}")
        self._speed = speed
        self._loop = loop
        self._start_ns = start_ns
        self._until_ns = until_ns
        self._start_offset_ns = round(start_offset_s * 1e9)
        self._decoder = Decoder(log_units)
        self._clock = clock
        self._log = ThrottledLog(logger)
        self._lock = threading.Lock()
        self._records: Iterator[WireRecord] = iter(())
        self._next: WireRecord | None = None
        self._first_ns: int | None = None  # recorded time of the pass's first record
        self._wall_origin = 0
        self._passes = 0
        self._replayed = 0
        self._finished = False
        self._closed = False
        self._skipped: Counter[str] = Counter()
        self._on_change: frozenset[str] = frozenset()
        self._arrived: Callable[[], None] | None = None
        self._begin_pass()

    @property
    def speed(self) -> float:
        return self._speed

    def notify_arrivals(self, callback: Callable[[], None]) -> None:
        """Call `callback` when more messages are due than one call hands out."""
        self._arrived = callback

    def get_messages(self) -> list[Message]:
        """The records due by now at `speed`, decoded; at most
        `MAX_MESSAGES_PER_CALL`."""
        with self._lock:
            if self._closed:
                return []
            now = self._clock()
            if self._first_ns is None and self._next is not None:
                self._first_ns = self._next.arrived_ns
                self._wall_origin = now
            due = self._due(now)
        messages = self._decode(due)
        more = len(due) == MAX_MESSAGES_PER_CALL
        if more and self._arrived is not None:
            self._arrived()
        return messages

    def _due(self, now: int) -> list[WireRecord]:
        due: list[WireRecord] = []
        reached = (
            math.inf
            if math.isinf(self._speed)
            else (now - self._wall_origin) * self._speed
        )
        while len(due) < MAX_MESSAGES_PER_CALL:
            record = self._next
            if record is None:
                if self._loop:
                    self._begin_pass()
                if self._next is None:
                    self._finished = True
                    break
                # The next pass starts now, as the first did at its first call.
                self._first_ns = self._next.arrived_ns
                self._wall_origin = now
                reached = math.inf if math.isinf(self._speed) else 0
                continue
            assert self._first_ns is not None
            if record.arrived_ns - self._first_ns > reached:
                break
            if self._first_time(record):
                due.append(record)
            self._next = next(self._records, None)
        return due

    def _first_time(self, record: WireRecord) -> bool:
        """Whether a Kafka record was not handed out before in this pass: the
        workers of one server (``--num-procs``) each record every record."""
        if record.partition < 0:
            return True
        where = (record.topic, record.partition)
        if record.offset < self._next_offsets.get(where, 0):
            return False
        self._next_offsets[where] = record.offset + 1
        return True

    def _decode(self, records: list[WireRecord]) -> list[Message]:
        messages = []
        on_change = set()
        skipped: list[str] = []
        for record in records:
            try:
                message = self._decoder.decode(record.value)
            except DecodeError as error:
                reason = str(error.reason)
                skipped.append(reason)
                self._log.warning(
                    reason, "replay: skipped a record of %s: %s", record.topic, error
                )
                continue
            except Exception as error:  # one bad record costs one record
                reason = str(Reason.FAILED_TO_DECODE)
                skipped.append(reason)
                self._log.warning(
                    reason, "replay: skipped a record of %s: %r", record.topic, error
                )
                continue
            messages.append(message)
            if record.value[4:8] == _ON_CHANGE_SCHEMA:
                on_change.add(message.key)
        with self._lock:
            self._replayed += len(messages)
            self._skipped.update(skipped)
            if not on_change <= self._on_change:
                self._on_change = self._on_change | on_change
        return messages

    def _begin_pass(self) -> None:
        """Read the recording from its start, skipping to the start time."""
        self._passes += 1
        self._next_offsets: dict[tuple[str, int], int] = {}
        records = self._read()
        first = next(records, None)
        if first is not None and self._start_offset_ns:
            start = first.arrived_ns + self._start_offset_ns
            while first is not None and first.arrived_ns < start:
                first = next(records, None)
        self._records = records
        self._next = first
        self._finished = first is None

    def _read(self) -> Iterator[WireRecord]:
        since, until = self._start_ns, self._until_ns
        if self._nexus is None:
            return read_records(self._files, since_ns=since, until_ns=until)
        return (
            r
            for r in self._nexus
            if (since is None or r.arrived_ns >= since)
            and (until is None or r.arrived_ns < until)
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._next = None
            self._records = iter(())

    @property
    def status(self) -> SourceStatus:
        with self._lock:
            state = "finished" if self._finished else "playing"
            if self._loop:
                state += f", pass {self._passes}"
            description = (
                f"{speed_words(self._speed).lower()} of {self._name}: {state}, "
                f"{self._replayed} messages"
            )
            skipped = sum(self._skipped.values())
            if skipped:
                description += f", {skipped} undecodable skipped"
            return SourceStatus(
                connected=not self._closed,
                description=description,
                lost=MappingProxyType(dict(self._skipped)),
                on_change_keys=self._on_change,
                replay=speed_words(self._speed),
            )

    @property
    def finished(self) -> bool:
        """Whether every record was handed out (never, when looping)."""
        with self._lock:
            return self._finished and self._next is None
