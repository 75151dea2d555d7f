"""What operators set that every session and every process shares (decision 029).

Regions of interest, limits and the like belong to a key, not to a browser:
every session shows them, every server process (``--num-procs``) applies
them, and they outlive a restart. Each kind lives in one JSON file in the
state directory (``--state-dir``): a change is a read-modify-write under an
exclusive lock on a lock file beside it, written to a temporary file and
renamed over the old one, so a reader sees the old document or the new one,
never half of either. Every process looks at the files it watches once a
second (`SharedState.watch`): a change made on one process reaches the others
within about a second, without a broker or a socket between them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from app.process_local import ProcessLocal

logger = logging.getLogger(__name__)

WATCH_PERIOD_S = 1.0
"""How often each process looks whether a shared file changed."""

Document = dict[str, Any]
"""A shared file's content: one JSON object."""
Watcher = Callable[[Document], None]


class SharedStateError(ValueError):
    """A shared file that does not hold a JSON object."""


def _stamp(path: Path) -> tuple[int, int, int] | None:
    # The rename of every write gives the file a new inode, so two writes in
    # the same nanosecond with the same size are still told apart.
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


class SharedState:
    """One JSON object in a file of the state directory, shared by processes.

    Parameters
    ----------
    path:
        The file; its directory is made with the first write. A file that
        does not exist reads as an empty document.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._document: Document = {}
        self._watchers: list[Watcher] = []

    def read(self) -> Document:
        """The document as the file holds it now (a copy the caller may keep).

        Raises
        ------
        SharedStateError
            If the file holds something else than a JSON object; the message
            names the file.
        """
        with self._lock:
            return _copy(self._fresh())

    def update(self, change: Callable[[Document], Document]) -> Document:
        """Apply ``change`` to the current document and store what it returns.

        Changes of all processes are serialised by a lock on the file's lock
        file: none is lost to another that read the same old document. A file
        that no longer holds a JSON object is moved aside (``.corrupt-<time>``,
        logged) and the change applies to the last document this process read.
        This process's watchers hear of the change at once; other processes'
        within `WATCH_PERIOD_S`.
        """
        new = self._change(change)
        self._tell_watchers(new)
        return _copy(new)

    def _change(self, change: Callable[[Document], Document]) -> Document:
        with self._lock, self._exclusive():
            try:
                current = self._fresh()
            except SharedStateError as error:
                aside = self.path.with_name(
                    f"{self.path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}"
                )
                os.replace(self.path, aside)
                logger.error("%s; moved to %s", error, aside.name)
                current = self._document
            new = change(_copy(current))
            if not isinstance(new, dict):
                raise TypeError(
                    f"a change of {self.path.name} must return a dict, "
                    f"got {type(new).__name__}"
                )
            self._write(new)
            return new

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Call ``watcher`` with the document whenever the file changes.

        It is called from this process's watch thread, within about
        `WATCH_PERIOD_S` of a change by any process, and once at once with the
        current document. Returns the function that stops the watching.
        """
        with self._lock:
            self._watchers.append(watcher)
        _watch_thread().add(self)
        try:
            watcher(self.read())
        except SharedStateError as error:
            logger.error("%s", error)

        def stop() -> None:
            with self._lock:
                if watcher in self._watchers:
                    self._watchers.remove(watcher)

        return stop

    def changed(self) -> bool:
        """Whether the file differs from what this process read last."""
        return _stamp(self.path) != self._stamp

    def notify(self) -> None:
        """Tell the watchers the current document (the watch thread calls this)."""
        try:
            document = self.read()
        except SharedStateError as error:
            # Keep what the processes apply: the last good document stays.
            logger.error("%s", error)
            with self._lock:
                self._stamp = _stamp(self.path)
            return
        self._tell_watchers(document)

    def _tell_watchers(self, document: Document) -> None:
        with self._lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            try:
                watcher(_copy(document))
            except Exception:
                logger.exception("a watcher of %s failed", self.path.name)

    def _fresh(self) -> Document:
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return self._document
        if stamp is None:
            document: Document = {}
        else:
            try:
                document = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise SharedStateError(
                    f"{self.path} is not readable JSON: {error}"
                ) from error
            if not isinstance(document, dict):
                raise SharedStateError(
                    f"{self.path} must hold a JSON object, "
                    f"got {type(document).__name__}"
                )
        self._stamp, self._document = stamp, document
        return document

    def _write(self, document: Document) -> None:
        text = json.dumps(document, indent=1, sort_keys=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise
        self._stamp, self._document = _stamp(self.path), _copy(document)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _copy(document: Document) -> Document:
    # JSON documents hold only dicts, lists and scalars.
    return json.loads(json.dumps(document))


class _WatchThread:
    """This process's one thread that looks at every watched file."""

    def __init__(self, period_s: float = WATCH_PERIOD_S) -> None:
        self._period_s = period_s
        self._states: list[SharedState] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name="shared-state-watch", daemon=True
        )
        self._thread.start()

    def add(self, state: SharedState) -> None:
        with self._lock:
            if state not in self._states:
                self._states.append(state)

    def _run(self) -> None:
        while True:
            time.sleep(self._period_s)
            with self._lock:
                states = list(self._states)
            for state in states:
                if state.changed():
                    state.notify()


_watcher: ProcessLocal[_WatchThread] = ProcessLocal()
_states: dict[Path, SharedState] = {}
_states_lock = threading.Lock()
# A forked worker watches for its own sessions and ingestion, not its parent's.
os.register_at_fork(after_in_child=_states.clear)


def _watch_thread() -> _WatchThread:
    return _watcher.get(_WatchThread)


def shared_state(state_dir: str | Path, name: str) -> SharedState:
    """This process's `SharedState` of ``name`` (e.g. ``regions.json``) in
    ``state_dir``: one object per file, so its watchers share one look."""
    path = (Path(state_dir) / name).resolve()
    with _states_lock:
        state = _states.get(path)
        if state is None:
            state = _states[path] = SharedState(path)
        return state
