"""A restart that loses nothing: the buffers filled from the process's own
recordings before live data (decision 028)."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from app.recording.files import recording_files
from app.recording.reader import files_since, read_batches
from app.recording.replay import ReplaySource
from app.sources.message import Message, MessageSource, NotifyingSource, SourceStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestorePlan:
    """What a starting dashboard reads back from its recordings.

    Parameters
    ----------
    files:
        The recording files that may hold records of the look-back.
    since_ns, until_ns:
        Records that arrived in [since_ns, until_ns) are restored: the
        look-back, up to this start.
    records:
        How many.
    resume_offsets:
        Per Kafka (topic, partition), the offset after the last record
        restored: where Kafka resumes, so nothing comes twice.
    first_offsets:
        Per Kafka (topic, partition), the offset of the first record
        restored: Kafka's look-back reads up to it (decision 047).
    """

    files: tuple[Path, ...]
    since_ns: int
    until_ns: int
    records: int
    resume_offsets: Mapping[tuple[str, int], int]
    first_offsets: Mapping[tuple[str, int], int] = field(default_factory=dict)


def plan_restore(
    directory: str | os.PathLike[str],
    lookback_s: float,
    *,
    now_ns: int | None = None,
) -> RestorePlan | None:
    """The records of the last `lookback_s` seconds in `directory`, or None
    if there are none (a first start, or a look-back of 0)."""
    directory = Path(directory)
    if lookback_s <= 0 or not directory.is_dir():
        return None
    until_ns = time.time_ns() if now_ns is None else now_ns
    since_ns = until_ns - round(lookback_s * 1e9)
    files = files_since(recording_files(directory), since_ns)
    records = 0
    resume: dict[tuple[str, int], int] = {}
    first: dict[tuple[str, int], int] = {}
    for path in files:
        for batch in read_batches(path):
            # Only the small columns: the payloads are not read here.
            arrived = batch.column("arrived_ns").to_numpy()
            within = (arrived >= since_ns) & (arrived < until_ns)
            if not within.any():
                continue
            records += int(within.sum())
            topics = batch.column("topic").to_pylist()
            partitions = batch.column("partition").to_numpy()
            offsets = batch.column("offset").to_numpy()
            for i in within.nonzero()[0]:
                if partitions[i] >= 0:
                    where = (topics[i], int(partitions[i]))
                    offset = int(offsets[i])
                    resume[where] = max(resume.get(where, 0), offset + 1)
                    first[where] = min(first.get(where, offset), offset)
    if not records:
        return None
    return RestorePlan(tuple(files), since_ns, until_ns, records, resume, first)


class OlderRecords(MessageSource, Protocol):
    """What a restart reads before its recordings: Kafka's look-back up to
    where they begin (`app.sources.kafka_fill.KafkaFill`)."""

    @property
    def done(self) -> bool:
        """Whether all of it was handed out or given up on."""
        ...

    def notify_arrivals(self, callback: Callable[[], None]) -> None: ...


class RestoringSource:
    """What the recordings lack first (`before`), then the restored records,
    as fast as they apply, then `live`.

    Parameters
    ----------
    plan:
        What to restore.
    live:
        The source whose messages follow; its status is this source's, with
        the restore's progress while it lasts.
    log_units:
        Units of f144 sources, as for Kafka.
    before:
        Records older than the recordings, handed out before them (decision
        047); the restore waits until it is done.
    """

    def __init__(
        self,
        plan: RestorePlan,
        live: MessageSource,
        *,
        log_units: Mapping[str, str] | None = None,
        before: OlderRecords | None = None,
    ) -> None:
        self._plan = plan
        self._live = live
        self._before = before
        self._restore: ReplaySource | None = ReplaySource(
            plan.files,
            speed=math.inf,
            start_ns=plan.since_ns,
            until_ns=plan.until_ns,
            log_units=log_units,
        )
        self._restored = 0
        logger.info(
            "restoring %d records of the last %.0f s from %d recording files",
            plan.records,
            (plan.until_ns - plan.since_ns) / 1e9,
            len(plan.files),
        )

    def notify_arrivals(self, callback: Callable[[], None]) -> None:
        if self._before is not None:
            self._before.notify_arrivals(callback)
        if self._restore is not None:
            self._restore.notify_arrivals(callback)
        if isinstance(self._live, NotifyingSource):
            self._live.notify_arrivals(callback)

    def get_messages(self) -> list[Message]:
        before = self._before
        if before is not None:
            # Read `done` first: what it handed out up to then is all there is.
            done = before.done
            messages = before.get_messages()
            if messages or not done:
                return messages
            self._before = None
            before.close()
        restore = self._restore
        if restore is not None:
            messages = restore.get_messages()
            if messages:
                self._restored += len(messages)
                return messages
            # Done: live data follows the last restored record.
            self._restore = None
            restore.close()
            logger.info("restored %d messages; live data follows", self._restored)
        return self._live.get_messages()

    def close(self) -> None:
        if self._before is not None:
            self._before.close()
        if self._restore is not None:
            self._restore.close()
        self._live.close()

    @property
    def status(self) -> SourceStatus:
        status = self._live.status
        if self._restore is None:
            return status
        if self._before is not None:
            return replace(
                status,
                description=f"{status.description}, reading Kafka's look-back "
                "before the recording",
            )
        return replace(
            status,
            description=f"{status.description}, restoring "
            f"{self._restored} of {self._plan.records} recorded",
        )
