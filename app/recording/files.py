"""The files of a recording directory: their names, order and bound (decision 099)."""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from app.recording.container import SUFFIX

logger = logging.getLogger(__name__)

PREFIX = "recording-"


def file_name(started_ns: int, pid: int) -> str:
    """The name of a file started at `started_ns` by process `pid`.

    Names sort as the files' start times (UTC, fixed width), so the oldest
    file is the first name; the process id keeps two processes of one
    server (``--num-procs``) apart.
    """
    started = datetime.fromtimestamp(started_ns / 1e9, UTC)
    return f"{PREFIX}{started:%Y%m%dT%H%M%S.%f}Z-p{pid}{SUFFIX}"


def started_ns(path: Path) -> int | None:
    """When the file `path` was begun, from its name; None for another name."""
    stem = path.name.removeprefix(PREFIX)
    stamp = stem.split("Z-", 1)[0]
    try:
        started = datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
    except ValueError:
        return None
    delta = started - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + (
        delta.microseconds * 1_000
    )


def recording_files(path: str | os.PathLike[str]) -> list[Path]:
    """The recording files at `path` (one file, or a directory's), oldest first."""
    path = Path(path)
    if path.is_dir():
        return sorted(
            (p for p in path.iterdir() if p.name.endswith(SUFFIX) and p.is_file()),
            key=lambda p: p.name,
        )
    if path.is_file():
        return [path]
    raise FileNotFoundError(f"no recording at {str(path)!r}")


def prune(directory: Path, total_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the oldest recording files of `directory` while all of them
    take more than `total_bytes`; never `keep` (the file being written).

    Returns
    -------
    :
        The files deleted.
    """
    files = [p for p in recording_files(directory) if p.name.startswith(PREFIX)]
    sizes = {}
    for p in files:
        try:
            sizes[p] = p.stat().st_size
        except FileNotFoundError:  # pruned by another process of the server
            continue
    total = sum(sizes.values())
    deleted = []
    for p, size in sizes.items():
        if total <= total_bytes:
            break
        if p == keep:
            continue
        with contextlib.suppress(FileNotFoundError):  # pruned by another process
            p.unlink()
        total -= size
        deleted.append(p)
        logger.info(
            "recording: deleted %s (%d bytes) to stay within %d", p, size, total_bytes
        )
    return deleted
