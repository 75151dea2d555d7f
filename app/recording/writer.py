"""The recorder: writes the records a source reads, from a thread of its own."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from app.recording.container import SCHEMA, payload_bytes, to_batch
from app.recording.files import file_name, prune
from app.sources.throttled_log import ThrottledLog
from app.sources.wire import WireRecord

logger = logging.getLogger(__name__)

DEFAULT_FILE_BYTES = 256 * 1024**2
"""A file is closed and the next begun once it holds this much (256 MiB)."""
DEFAULT_FILE_SECONDS = 3600.0
"""... or once it is this old."""
DEFAULT_TOTAL_BYTES = 20 * 1024**3
"""The oldest files are deleted while the directory's recordings hold more (20 GiB)."""
DEFAULT_MAX_QUEUED_BYTES = 256 * 1024**2
"""Records waiting for the writer; beyond it, new records are dropped and counted."""
FLUSH_PERIOD_S = 0.5
"""Longest a record waits before it is in a file: a `kill -9` loses at most this."""


@dataclass(frozen=True)
class RecorderStats:
    """Counters of a `Recorder`.

    Parameters
    ----------
    written:
        Records written to files.
    dropped:
        Records not written: the queue was full (the disk is slower than the
        data) or writing failed.
    queued:
        Records waiting to be written.
    files:
        Files begun since the start.
    """

    written: int = 0
    dropped: int = 0
    queued: int = 0
    files: int = 0


class Recorder:
    """Writes records to rotating Arrow IPC stream files in `directory`.

    `record` (the source's tap) only queues: a thread writes one batch every
    `flush_period_s` at most, so ingestion never waits for the disk.

    Parameters
    ----------
    directory:
        Where the files go; made if missing.
    file_bytes, file_seconds:
        A file ends once it holds `file_bytes` or is `file_seconds` old.
    total_bytes:
        The oldest files of `directory` are deleted while all take more.
    max_queued_bytes:
        Records waiting for the writer; what does not fit is dropped.
    flush_period_s:
        Longest a record waits before it is written and flushed.
    clock:
        Host time in ns since the epoch (file names and ages).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        file_bytes: int = DEFAULT_FILE_BYTES,
        file_seconds: float = DEFAULT_FILE_SECONDS,
        total_bytes: int = DEFAULT_TOTAL_BYTES,
        max_queued_bytes: int = DEFAULT_MAX_QUEUED_BYTES,
        flush_period_s: float = FLUSH_PERIOD_S,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        for name, bound in (("file_bytes", file_bytes), ("total_bytes", total_bytes)):
            if bound < 1:
                raise ValueError(f"{name} must be at least 1, got {bound}")
        if not file_seconds > 0:
            raise ValueError(f"file_seconds must be positive, got {file_seconds}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._file_bytes = file_bytes
        self._file_ns = round(file_seconds * 1e9)
        self._total_bytes = total_bytes
        self._max_queued_bytes = max_queued_bytes
        self._flush_period_s = flush_period_s
        self._clock = clock
        self._log = ThrottledLog(logger)
        self._lock = threading.Lock()
        self._queue: list[WireRecord] = []
        self._queued_bytes = 0
        self._written = 0
        self._dropped = 0
        self._files = 0
        # Writer thread only.
        self._path: Path | None = None
        self._sink: pa.OSFile | None = None
        self._stream: pa.ipc.RecordBatchStreamWriter | None = None
        self._started_ns = 0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def record(self, records: Sequence[WireRecord]) -> None:
        """Queue `records` for writing; never blocks for long (a `RecordTap`)."""
        size = payload_bytes(records)
        with self._lock:
            if self._closed.is_set() or self._queued_bytes + size > (
                self._max_queued_bytes
            ):
                self._dropped += len(records)
                dropped = True
            else:
                self._queue.extend(records)
                self._queued_bytes += size
                dropped = False
        if dropped:
            self._log.warning(
                "queue full",
                "recording: %d records dropped, the writer is behind (%s)",
                len(records),
                self.directory,
            )

    @property
    def stats(self) -> RecorderStats:
        """A snapshot of the counters."""
        with self._lock:
            return RecorderStats(
                written=self._written,
                dropped=self._dropped,
                queued=len(self._queue),
                files=self._files,
            )

    def describe(self) -> str:
        """The recording in words, for the status line."""
        stats = self.stats
        text = f"recording to {self.directory}"
        if stats.dropped:
            text += f" ({stats.dropped} records not recorded)"
        return text

    def close(self) -> None:
        """Write what is queued, end the current file and stop; idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._closed.wait(self._flush_period_s):
            self._write_queued()
        self._write_queued()
        self._end_file()

    def _write_queued(self) -> None:
        with self._lock:
            records, self._queue = self._queue, []
            self._queued_bytes = 0
        if not records:
            return
        try:
            self._write(records)
        except Exception:  # a full disk must not stop the dashboard
            self._end_file()
            with self._lock:
                self._dropped += len(records)
            self._log.error(
                "write failed",
                "recording: writing %d records to %s failed",
                len(records),
                self.directory,
                exc_info=True,
            )
            return
        with self._lock:
            self._written += len(records)

    def _write(self, records: list[WireRecord]) -> None:
        now = self._clock()
        if self._sink is not None and (
            self._sink.tell() >= self._file_bytes
            or now - self._started_ns >= self._file_ns
        ):
            self._end_file()
        if self._stream is None:
            self._begin_file(now)
        assert self._stream is not None
        # One batch per flush: a batch is whole on disk or not read at all.
        self._stream.write_batch(to_batch(records))

    def _begin_file(self, now: int) -> None:
        path = self.directory / file_name(now, os.getpid())
        # OSFile writes straight to the file descriptor: no buffer in this
        # process that a kill could lose.
        self._sink = pa.OSFile(str(path), "wb")
        self._stream = pa.ipc.new_stream(self._sink, SCHEMA)
        self._path = path
        self._started_ns = now
        with self._lock:
            self._files += 1
        logger.info("recording: writing %s", path)
        prune(self.directory, self._total_bytes, keep=path)

    def _end_file(self) -> None:
        stream, sink = self._stream, self._sink
        self._stream = self._sink = None
        try:
            if stream is not None:
                stream.close()
        finally:
            if sink is not None:
                sink.close()
