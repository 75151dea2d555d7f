"""References: frames an operator pinned on a plot, kept in the state directory.

A reference is kept as scipp's HDF5 in ``<state dir>/references/<name>.h5``,
``name`` being the first 32 hex digits of the file's SHA-256: a layout names
the reference by this name alone, so a layout with references stays as short
as one without, and every process and session of the installation that
shares the state directory finds it (decision 094). The directory holds at
most `MAX_REFERENCES_BYTES`; the least recently kept or read go first.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

import scipp as sc

from app.limits import MAX_REFERENCE_VALUES, MAX_REFERENCES_BYTES
from app.plotters.data_out import hdf5_bytes

logger = logging.getLogger(__name__)

REFERENCES_DIR = "references"
"""The state directory's folder of kept references."""

REFERENCE_NAME = re.compile(r"[0-9a-f]{32}")
"""What a reference's name is: a layout naming anything else is refused, so a
name never reaches outside the references' folder."""


class ReferenceError(ValueError):
    """A reference that cannot be kept or read, in words for the operator."""


class ReferenceStore:
    """The references of one state directory.

    Parameters
    ----------
    state_dir:
        The dashboard's state directory (``--state-dir``).
    max_bytes:
        Most bytes the kept references take together.
    """

    def __init__(
        self, state_dir: str | Path, *, max_bytes: int = MAX_REFERENCES_BYTES
    ) -> None:
        self.directory = Path(state_dir) / REFERENCES_DIR
        self._max_bytes = max_bytes

    def keep(self, frame: sc.DataArray) -> str:
        """Keep ``frame``; return its name. The same frame is kept once."""
        if frame.size > MAX_REFERENCE_VALUES:
            raise ReferenceError(
                f"{frame.name or 'frame'}: {frame.size:,} values, more than the "
                f"{MAX_REFERENCE_VALUES:,} a reference may hold"
            )
        data = hdf5_bytes(frame)
        name = hashlib.sha256(data).hexdigest()[:32]
        path = self._path(name)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if path.exists():
                os.utime(path)
            else:
                # Written whole, then renamed: another process never reads half.
                fd, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
        except OSError as error:
            raise ReferenceError(f"reference not kept: {error.strerror}") from error
        self._evict(keep=path)
        return name

    def load(self, name: str) -> sc.DataArray:
        """The reference named ``name``; raise `ReferenceError` if not kept."""
        if not REFERENCE_NAME.fullmatch(name):
            raise ReferenceError(f"{name!r} is not the name of a reference")
        path = self._path(name)
        try:
            os.utime(path)  # recently used: evicted last
            value = sc.io.load_hdf5(path)
        except FileNotFoundError:
            raise ReferenceError(f"reference {name} is not kept (any more)") from None
        except Exception as error:  # a damaged file is said, not raised
            raise ReferenceError(f"reference {name} cannot be read: {error}") from None
        if not isinstance(value, sc.DataArray):
            raise ReferenceError(f"reference {name} holds no data array")
        return value

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.h5"

    def _evict(self, *, keep: Path) -> None:
        """Remove the least recently used references beyond the bound."""
        try:
            files = [(path.stat(), path) for path in self.directory.glob("*.h5")]
        except OSError:
            return
        total = sum(stat.st_size for stat, _ in files)
        for stat, path in sorted(files, key=lambda item: item[0].st_mtime_ns):
            if total <= self._max_bytes:
                break
            if path == keep:
                continue
            try:
                path.unlink()
            except OSError:
                continue  # another process evicted it first
            total -= stat.st_size
            logger.info(
                "reference %s evicted: the references exceed %d bytes",
                path.stem,
                self._max_bytes,
            )
