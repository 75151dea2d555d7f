"""A restart that loses nothing: the buffers filled from the process's own
recordings before live data (decision 028)."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

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
    """

    files: tuple[Path, ...]
    since_ns: int
    until_ns: int
    records: int
    resume_offsets: Mapping[tuple[str, int], int]


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
                    resume[where] = max(resume.get(where, 0), int(offsets[i]) + 1)
    if not records:
        return None
    return RestorePlan(tuple(files), since_ns, until_ns, records, resume)


class RestoringSource:
    """The restored records first, as fast as they apply, then `live`.

    Parameters
    ----------
    plan:
        What to restore.
    live:
        The source whose messages follow; its status is this source's, with
        the restore's progress while it lasts.
    log_units:
        Units of f144 sources, as for Kafka.
    """

    def __init__(
        self,
        plan: RestorePlan,
        live: MessageSource,
        *,
        log_units: Mapping[str, str] | None = None,
    ) -> None:
        self._plan = plan
        self._live = live
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
        if self._restore is not None:
            self._restore.notify_arrivals(callback)
        if isinstance(self._live, NotifyingSource):
            self._live.notify_arrivals(callback)

    def get_messages(self) -> list[Message]:
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
        if self._restore is not None:
            self._restore.close()
        self._live.close()

    @property
    def status(self) -> SourceStatus:
        status = self._live.status
        if self._restore is None:
            return status
        return replace(
            status,
            description=f"{status.description}, restoring "
            f"{self._restored} of {self._plan.records} recorded",
        )
