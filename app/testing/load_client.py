"""Headless dashboard sessions: Bokeh's Python client, acknowledging frames as a
browser does, without rendering anything. For load tests and benchmarks.

Run as ``python -m app.testing.load_client URL --sessions N --seconds S``: it
opens N sessions, keeps them for S seconds (or until killed) and prints JSON
lines of what they received. It runs in a process of its own: its sessions need
the process's event loop, which a test process may already be running.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

# Panel's models must be known to the client to read the dashboard's document.
import panel  # noqa: F401
from bokeh.client import ClientSession, pull_session
from bokeh.document.events import MessageSentEvent
from bokeh.events import DocumentReady
from tornado.ioloop import IOLoop


class HeadlessSession:
    """One dashboard session held by Bokeh's Python client.

    It tells the server the page is ready (as BokehJS does once it rendered),
    then acknowledges every frame at once, like a fast browser.

    Parameters
    ----------
    url:
        The dashboard page, e.g. ``http://127.0.0.1:5006/dashboard``.
    acks_only:
        Apply nothing but the frame numbers and the status line to the
        document: the server's messages are read, not deserialised into
        models. Bokeh's client applying every change costs more than the
        server made it, so 32 sessions in one client measured the client; a
        benchmark of the server's capacity uses this.
    """

    def __init__(self, url: str, *, acks_only: bool = False) -> None:
        # One loop for every session of the process (Bokeh's client would
        # otherwise make a loop per session, only one of which ever runs).
        self._session: ClientSession = pull_session(url=url, io_loop=IOLoop.current())
        document = self._session.document
        self.frames = 0
        self._number = document.get_model_by_name("frame-number")
        self._ack = document.get_model_by_name("frame-ack")
        self._number.on_change("tags", self._on_frame)
        self._acks_only = acks_only
        self._status = document.get_model_by_name("status")
        self._status_text = self._status.text
        ready = MessageSentEvent(document, "bokeh_event", DocumentReady())
        self._connection = self._session._connection
        self._connection._send_patch_document(self._session.id, ready)
        self.closed = False
        IOLoop.current().spawn_callback(self._pump)

    @property
    def status(self) -> str:
        """The session's status line, as the server last drew it."""
        return self._status_text if self._acks_only else self._status.text

    def close(self) -> None:
        """Close the websocket (with a close frame)."""
        self._session.close()

    async def _pump(self) -> None:
        # Bokeh's client reads messages only inside its own blocking loops;
        # this reads them on the shared loop, so many sessions share a thread.
        while True:
            message = await self._connection._pop_message()
            if message is None:
                self.closed = True
                return
            if message.msgtype != "PATCH-DOC":
                continue
            if self._acks_only:
                self._read_acks_only(message.content.get("events", ()))
            else:
                self._session._handle_patch(message)

    def _read_acks_only(self, events: list[dict]) -> None:
        number_id, status_id = self._number.id, self._status.id
        for event in events:
            if event.get("kind") != "ModelChanged":
                continue
            model = event.get("model", {}).get("id")
            if model == number_id and event.get("attr") == "tags":
                self._on_frame("tags", [], event["new"])
            elif model == status_id and event.get("attr") == "text":
                self._status_text = event["new"]

    def _on_frame(self, attr: str, old: list, new: list) -> None:
        self.frames += 1
        self._ack.tags = [new[0]]


def run_for(seconds: float) -> None:
    """Run the shared loop (every session's messages) for `seconds`."""
    loop = IOLoop.current()
    loop.call_later(seconds, loop.stop)
    loop.start()


def report(sessions: list[HeadlessSession], **extra: object) -> None:
    """Print one JSON line: each session's frames and status line."""
    line = {
        "at": time.time(),
        "sessions": len(sessions),
        "frames": [session.frames for session in sessions],
        "statuses": [session.status for session in sessions],
        **extra,
    }
    print(json.dumps(line), flush=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument(
        "--acks-only",
        action="store_true",
        help="apply only frame numbers and the status line (see HeadlessSession)",
    )
    parser.add_argument(
        "--report-every",
        type=float,
        default=0.0,
        help="also print the sessions' state this often (seconds)",
    )
    parser.add_argument(
        "--when-told",
        action="store_true",
        help="open the sessions once a line is read from stdin",
    )
    args = parser.parse_args(argv)
    if args.when_told:
        sys.stdin.readline()
    sessions = [
        HeadlessSession(args.url, acks_only=args.acks_only)
        for _ in range(args.sessions)
    ]
    print(json.dumps({"opened": len(sessions)}), flush=True)
    run_for(args.settle)
    before = [session.frames for session in sessions]
    started = time.monotonic()
    while (left := args.seconds - (time.monotonic() - started)) > 0:
        run_for(min(left, args.report_every or left))
        if args.report_every:
            report(sessions)
    elapsed = time.monotonic() - started
    rates = [(s.frames - b) / elapsed for s, b in zip(sessions, before, strict=True)]
    report(sessions, frames_per_s=rates)
    for session in sessions:
        session.close()
    run_for(0.5)


class LoadClientProcess:
    """This module run in a process of its own, its JSON lines read with deadlines.

    Parameters
    ----------
    url:
        The dashboard page.
    sessions, seconds, settle, report_every:
        As the command-line options of the same names.
    when_told:
        Start the process now but open its sessions at `open()`: the process
        takes seconds to import Panel, which may pass meanwhile.
    """

    def __init__(
        self,
        url: str,
        *,
        sessions: int = 1,
        seconds: float = 10.0,
        settle: float = 1.0,
        report_every: float = 0.0,
        when_told: bool = False,
    ) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                __name__,
                url,
                f"--sessions={sessions}",
                f"--seconds={seconds}",
                f"--settle={settle}",
                f"--report-every={report_every}",
                *(["--when-told"] if when_told else []),
            ],
            stdin=subprocess.PIPE if when_told else None,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[dict | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(json.loads(line))
        self._lines.put(None)

    def open(self) -> None:
        """Tell a process started `when_told` to open its sessions."""
        self.process.stdin.write("open\n")
        self.process.stdin.close()

    def wait_for(
        self,
        predicate: Callable[[dict], bool],
        timeout_s: float,
        what: str,
        *,
        printed_after: float = 0.0,
    ) -> dict:
        """The first line for which `predicate` holds, read within `timeout_s`.

        Lines printed before `printed_after` (seconds since the epoch) are
        passed over: they may have been queued long before the wait.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.001))
            except queue.Empty:
                raise TimeoutError(f"no line {what} in {timeout_s} s") from None
            if line is None:
                raise RuntimeError(f"the load client ended before a line {what}")
            if line.get("at", printed_after) >= printed_after and predicate(line):
                return line

    def kill(self) -> None:
        """End the process at once: its sockets close without a close frame."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def wait(self, timeout_s: float = 120.0) -> None:
        """Wait for the process to end by itself (its sessions closed cleanly)."""
        try:
            self.process.wait(timeout=timeout_s)
        finally:
            self.kill()


if __name__ == "__main__":
    main(sys.argv[1:])
