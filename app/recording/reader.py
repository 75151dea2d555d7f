"""Reading recordings back, up to the last whole batch of each file."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from app.recording.container import SCHEMA, from_batch
from app.recording.files import recording_files, started_ns
from app.sources.wire import WireRecord

logger = logging.getLogger(__name__)


def read_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """The whole record batches of one recording file, in order.

    A file cut short (its process was killed while writing) ends at its last
    whole batch; an empty file (killed before its schema) has none, and so
    has a file deleted meanwhile (the bound of another writer).

    Raises
    ------
    ValueError
        If the file is an Arrow stream of another schema.
    """
    try:
        source = pa.memory_map(str(path), "r")
    except FileNotFoundError:
        logger.warning("recording %s was deleted before it was read", path)
        return
    with source:
        try:
            reader = pa.ipc.open_stream(source)
        except (pa.ArrowInvalid, OSError):
            # Empty: begun by a writer that has not written yet, or was killed.
            log = logger.warning if source.size() else logger.debug
            log("recording %s holds no whole schema; skipped", path)
            return
        if not reader.schema.equals(SCHEMA, check_metadata=False):
            raise ValueError(
                f"{path}: not a dashboard recording (schema {reader.schema})"
            )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except (pa.ArrowInvalid, OSError) as error:
                logger.warning("recording %s ends inside a batch: %s", path, error)
                return
            yield batch


def files_since(files: Iterable[Path], since_ns: int) -> list[Path]:
    """`files` less those that end before `since_ns`: a file whose process
    began a later file before `since_ns` holds nothing after it."""
    files = list(files)
    later_start: dict[str, int] = {}
    kept = []
    for path in reversed(files):
        writer = path.name.rsplit("-", 1)[-1]  # the process, as in `file_name`
        successor = later_start.get(writer)
        if successor is None or successor > since_ns:
            kept.append(path)
        begun = started_ns(path)
        if begun is not None:
            later_start[writer] = begun
    return kept[::-1]


def read_records(
    path: str | os.PathLike[str] | Iterable[Path],
    *,
    since_ns: int | None = None,
    until_ns: int | None = None,
) -> Iterator[WireRecord]:
    """Every record at `path` (a file, a directory's files oldest first, or a
    list of files), optionally only those that arrived in [`since_ns`,
    `until_ns`)."""
    files = recording_files(path) if isinstance(path, str | os.PathLike) else list(path)
    if since_ns is not None:
        files = files_since(files, since_ns)
    for file in files:
        for batch in read_batches(file):
            if since_ns is not None or until_ns is not None:
                batch = _arrived_within(batch, since_ns, until_ns)
            yield from from_batch(batch)


def _arrived_within(
    batch: pa.RecordBatch, since_ns: int | None, until_ns: int | None
) -> pa.RecordBatch:
    arrived = batch.column("arrived_ns")
    keep = None
    if since_ns is not None:
        keep = pc.greater_equal(arrived, since_ns)
    if until_ns is not None:
        before = pc.less(arrived, until_ns)
        keep = before if keep is None else pc.and_(keep, before)
    return batch.filter(keep)
