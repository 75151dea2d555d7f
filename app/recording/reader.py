"""Reading recordings back, up to the last whole batch of each file."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from app.recording.container import SCHEMA, from_batch
from app.recording.files import recording_files
from app.sources.wire import WireRecord

logger = logging.getLogger(__name__)


def read_batches(path: Path) -> Iterator[pa.RecordBatch]:
    """The whole record batches of one recording file, in order.

    A file cut short (its process was killed while writing) ends at its last
    whole batch; an empty file (killed before its schema) has none.

    Raises
    ------
    ValueError
        If the file is an Arrow stream of another schema.
    """
    with pa.OSFile(str(path), "rb") as source:
        try:
            reader = pa.ipc.open_stream(source)
        except (pa.ArrowInvalid, OSError):
            logger.warning("recording %s holds no whole schema; skipped", path)
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


def read_records(path: str | os.PathLike[str]) -> Iterator[WireRecord]:
    """Every record at `path` (a file, or a directory's files oldest first)."""
    for file in recording_files(path):
        for batch in read_batches(file):
            yield from from_batch(batch)
