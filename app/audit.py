"""The audit of operator actions: one line each, in the log and a file (decision 081).

Each action an operator takes on everyone's data (and each one refused) is
one line with its time, user, action and key: in the server's log, and
appended to ``audit.jsonl`` in the state directory (``--state-dir``) as one
JSON object a line. The file is only ever appended to, by every server
process alike: each line goes out in one write to a file opened for
appending, so lines of two processes never interleave.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Hashable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

AUDIT_FILE = "audit.jsonl"
TAIL_BYTES = 64 * 1024
"""The end of the file read for the latest entries: hundreds of lines."""

DONE = "done"
REFUSED = "refused"


@dataclass(frozen=True)
class AuditEntry:
    """One operator action: when (UTC, ISO 8601), who, what, on which key."""

    time: str
    user: str
    action: str
    key: str
    outcome: str = DONE

    def line(self) -> str:
        """The entry as the log says it."""
        refused = " REFUSED" if self.outcome == REFUSED else ""
        return f"audit: {self.time} {self.user}: {self.action} {self.key!r}{refused}"


def utc_text(at_ns: int) -> str:
    """A time in ns since the epoch as the files write it: UTC, ISO 8601, ms."""
    moment = datetime.fromtimestamp(at_ns / 1e9, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    """Appends entries to ``state_dir/audit.jsonl`` and reads the latest back.

    Parameters
    ----------
    state_dir:
        The state directory; None logs the entries and keeps no file (tests
        and benchmarks that never say where).
    """

    def __init__(self, state_dir: Path | None) -> None:
        self.path = None if state_dir is None else Path(state_dir) / AUDIT_FILE
        self._lock = threading.Lock()
        self._tail_of: tuple[int, int] | None = None
        self._tail: tuple[AuditEntry, ...] = ()

    def prepare(self) -> None:
        """Create the state directory and check the file takes lines (at start)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8"):
            pass

    def record(
        self,
        user: str,
        action: str,
        key: Hashable,
        outcome: str = DONE,
        at_ns: int | None = None,
    ) -> AuditEntry:
        """Log one action and append it to the file."""
        at = time.time_ns() if at_ns is None else at_ns
        entry = AuditEntry(utc_text(at), user, action, str(key), outcome)
        level = logging.WARNING if outcome == REFUSED else logging.INFO
        logger.log(level, "%s", entry.line())
        if self.path is not None:
            data = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode()
            try:
                self._append(data)
            except OSError as error:
                # The log line above still holds the action.
                logger.error("audit file %s: %s", self.path, error)
        return entry

    def _append(self, data: bytes) -> None:
        append_line(self.path, data)

    def latest(self, count: int) -> tuple[AuditEntry, ...]:
        """The newest ``count`` entries, newest first; read again only when changed."""
        if self.path is None:
            return ()
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return ()
        with self._lock:
            if self._tail_of != (stat.st_size, stat.st_mtime_ns):
                self._tail = self._read_tail(stat.st_size)
                self._tail_of = (stat.st_size, stat.st_mtime_ns)
            return self._tail[:count]

    def _read_tail(self, size: int) -> tuple[AuditEntry, ...]:
        with self.path.open("rb") as file:
            file.seek(max(0, size - TAIL_BYTES))
            lines = file.read().decode("utf-8", errors="replace").splitlines()
        if size > TAIL_BYTES:
            lines = lines[1:]  # the first may be cut
        entries = []
        for line in reversed(lines):
            try:
                entries.append(AuditEntry(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # a line someone else wrote; the file is theirs too
        return tuple(entries)

    def last_done(self, action: str, since_ns: int = 0) -> dict[str, int]:
        """When `action` was last done to each key, in ns since the epoch,
        if at or after `since_ns`: read from the whole file (at start)."""
        if self.path is None:
            return {}
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return {}
        last: dict[str, int] = {}
        for line in lines.splitlines():
            try:
                entry = AuditEntry(**json.loads(line))
                at_ns = _ns(entry.time)
            except (ValueError, TypeError):
                continue  # a line someone else wrote; the file is theirs too
            if entry.action == action and entry.outcome == DONE and at_ns >= since_ns:
                last[entry.key] = max(last.get(entry.key, at_ns), at_ns)
        return last


def _ns(utc: str) -> int:
    """Nanoseconds since the epoch of an entry's time (millisecond precision)."""
    moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"audit time {utc!r} names no zone")
    return round(moment.timestamp() * 1000) * 1_000_000


def append_line(path: Path, data: bytes) -> None:
    """Append ``data`` (one line) to ``path`` in one write, as several processes
    may: a file opened for appending never interleaves two such writes."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        descriptor = os.open(path, flags, 0o640)
    except FileNotFoundError:  # a server started without process_start.py
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, flags, 0o640)
    try:
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


_audit = AuditLog(None)


def use_audit_log(log: AuditLog) -> None:
    """Make ``log`` this process's audit."""
    global _audit
    _audit = log


def use_state_dir(state_dir: str) -> AuditLog:
    """This process's audit in ``state_dir`` (``--state-dir``), made once.

    The directory is made by `AuditLog.prepare` at the server's start, or
    with the first entry: a page built in a test leaves no directory behind.
    """
    path = Path(state_dir) / AUDIT_FILE
    if _audit.path != path:
        use_audit_log(AuditLog(Path(state_dir)))
    return _audit


def audit_log() -> AuditLog:
    """This process's audit."""
    return _audit
