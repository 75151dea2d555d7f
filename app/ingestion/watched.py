"""What the pages watched, kept in the state directory, so a restart restores
into buffers as long as they were (decision 048).

A page's layout lives in its browser; the server learns it only when the page
opens, after a restart's restore. Every process notes what its buffers keep
per key (a time window's seconds, a window's frames) in ``watched.json`` of
the state directory; a starting process keeps as much for those keys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path

from app.data import Retention
from app.shared_state import SharedState, SharedStateError

logger = logging.getLogger(__name__)

WATCHED_FILE = "watched.json"
NOTE_PERIOD_S = 5.0
"""How often a process looks whether what its buffers keep changed."""
REFRESH_S = 60.0
"""An unchanged entry is stamped again this often: it is still watched."""
FORGOTTEN_S = 24 * 3600.0
"""Entries not stamped for this long leave the file."""


class WatchedHistory:
    """``watched.json`` of a state directory: per key, the frames and seconds
    its buffer kept, and when that was last seen.

    Parameters
    ----------
    state_dir:
        The state directory (``--state-dir``).
    """

    def __init__(self, state_dir: str | Path) -> None:
        self._state = SharedState(Path(state_dir) / WATCHED_FILE)
        self._noted: dict[str, tuple[int, float | None]] = {}
        self._noted_ns = 0

    def note(self, retentions: Mapping[Hashable, Retention], now_ns: int) -> bool:
        """Write what `retentions` keep beyond the latest frame, if it changed
        or was last written `REFRESH_S` ago; return whether it wrote."""
        wanted = {
            key: (retention.frames, retention.seconds)
            for key, retention in retentions.items()
            if isinstance(key, str) and (retention.frames > 1 or retention.seconds)
        }
        if wanted == self._noted and now_ns - self._noted_ns < REFRESH_S * 1e9:
            return False
        forgotten = now_ns - round(FORGOTTEN_S * 1e9)

        def change(document: dict) -> dict:
            kept = {
                key: entry
                for key, entry in document.items()
                if isinstance(entry, dict) and entry.get("at_ns", 0) >= forgotten
            }
            for key, (frames, seconds) in wanted.items():
                kept[key] = {"frames": frames, "seconds": seconds, "at_ns": now_ns}
            return kept

        self._state.update(change)
        self._noted, self._noted_ns = wanted, now_ns
        return True

    def kept(self, since_ns: int) -> dict[str, Retention]:
        """What each key kept when last seen at or after `since_ns`."""
        try:
            document = self._state.read()
        except SharedStateError as error:
            logger.warning("%s; a restart keeps the default history only", error)
            return {}
        kept: dict[str, Retention] = {}
        for key, entry in document.items():
            try:
                if entry["at_ns"] < since_ns:
                    continue
                seconds = entry.get("seconds")
                kept[key] = Retention(
                    frames=max(1, int(entry["frames"])),
                    seconds=None if seconds is None else float(seconds),
                )
            except (TypeError, KeyError, ValueError):
                logger.warning("%s: entry of %r not understood", WATCHED_FILE, key)
        return kept


class WatchNoter:
    """A thread that notes what `retentions()` keep every `NOTE_PERIOD_S`."""

    def __init__(
        self,
        watched: WatchedHistory,
        retentions: Callable[[], Mapping[Hashable, Retention]],
        period_s: float = NOTE_PERIOD_S,
    ) -> None:
        self._watched = watched
        self._retentions = retentions
        self._period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="watched-history", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self._watched.note(self._retentions(), time.time_ns())
            except Exception:  # a state directory that cannot be written
                logger.warning("%s not written", WATCHED_FILE, exc_info=True)
                self._stop.wait(max(self._period_s, REFRESH_S))
