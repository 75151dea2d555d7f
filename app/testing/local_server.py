"""Start ``panel serve app/dashboard.py`` on a free loopback port, stop it by PID.

For tests and benchmarks, which need the real server in its own process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "app" / "dashboard.py"
APP_PATH = "/dashboard"
QUICK_SESSION_CLEANUP = (
    "--check-unused-sessions",
    "200",
    "--unused-session-lifetime",
    "200",
)
"""``panel serve`` options: a session whose websocket closed is dropped within
about 0.4 s, for tests that count sessions coming and going."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class LocalServer:
    """A running ``panel serve`` process."""

    process: subprocess.Popen
    port: int
    log_path: Path
    state_dir: Path | None = None
    """The dashboard's ``--state-dir`` (audit file) unless the caller chose one."""

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        """Address of the dashboard page."""
        return f"http://127.0.0.1:{self.port}{APP_PATH}"

    def log(self) -> str:
        """What the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def get(self, timeout_s: float = 30.0) -> int:
        """GET the page once (no websocket follows) and return the HTTP status."""
        with urllib.request.urlopen(self.url, timeout=timeout_s) as response:
            response.read()
            return response.status


def _wait_until_listening(server: LocalServer, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"panel serve exited early:\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)  # polling interval, bounded by the deadline
    raise TimeoutError(f"panel serve did not listen in time:\n{server.log()}")


@contextmanager
def serve_dashboard(
    app_args: Sequence[str] = (),
    *,
    serve_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    startup_timeout_s: float = 90.0,
    repo: Path = REPO,
) -> Iterator[LocalServer]:
    """Run the dashboard in its own ``panel serve`` process while in the block.

    Parameters
    ----------
    app_args:
        Dashboard options, passed after ``--args``.
    serve_args:
        Extra ``panel serve`` options, e.g. session lifetimes or sign-in
        (``--basic-auth FILE --cookie-secret ...``); a later ``--address``
        wins over the loopback one.
    env:
        Variables added to the server's environment (``PANEL_*``,
        ``DASHBOARD_*``; a ``PYTHONPATH`` goes after the checkout). Unless
        they name one, the dashboard's state directory is a temporary one,
        removed with the server: a test leaves the work tree as it found it.
    startup_timeout_s:
        How long to wait for the port to accept connections.
    repo:
        The checkout whose ``app`` is served (benchmarks compare an older one).
    """
    port = free_port()
    panel = Path(sys.executable).with_name("panel")
    command = [
        str(panel),
        "serve",
        str(repo / "app" / "dashboard.py"),
        "--address",
        "127.0.0.1",
        "--port",
        str(port),
        "--allow-websocket-origin",
        f"127.0.0.1:{port}",
        "--warm",
        *serve_args,
    ]
    pages = repo / "app" / "page" / "templates"
    if pages.exists():  # the sign-in pages that need nothing from outside
        command += ["--basic-login-template", str(pages / "login.html")]
        command += ["--logout-template", str(pages / "logout.html")]
    process_start = repo / "app" / "process_start.py"
    if process_start.exists():  # older checkouts start ingestion with --warm only
        command += ["--setup", str(process_start)]
    if app_args:
        command += ["--args", *app_args]
    log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as the server
        prefix="panel-serve-", suffix=".log", delete=False
    )
    state = tempfile.TemporaryDirectory(prefix="dashboard-state-")
    # The checkout's own package wins over the one installed in the venv.
    environ = {
        **os.environ,
        "DASHBOARD_STATE_DIR": state.name,
        **(env or {}),
        # The checkout first, then the caller's paths and its environment's
        # (packages of their own, a benchmark's probes).
        "PYTHONPATH": os.pathsep.join(
            [
                str(repo),
                *filter(
                    None, [(env or {}).get("PYTHONPATH"), os.environ.get("PYTHONPATH")]
                ),
            ]
        ),
    }
    own_state = environ["DASHBOARD_STATE_DIR"] == state.name
    # Its own process group: `--num-procs` forks workers, which must end with it.
    process = subprocess.Popen(
        command,
        cwd=repo,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=environ,
        start_new_session=True,
    )
    server = LocalServer(
        process=process,
        port=port,
        log_path=Path(log_file.name),
        state_dir=Path(state.name) if own_state else None,
    )
    try:
        _wait_until_listening(server, time.monotonic() + startup_timeout_s)
        yield server
    finally:
        _stop(process)
        log_file.close()
        state.cleanup()


def _stop(process: subprocess.Popen) -> None:
    """End the server and the workers it forked: its process group, by its id."""
    group = process.pid  # a session leader's group id is its pid
    _signal_group(group, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        _signal_group(group, signal.SIGKILL)
        process.wait(timeout=15)
    deadline = time.monotonic() + 15
    while running_in_group(group) and time.monotonic() < deadline:
        time.sleep(0.1)  # forked workers finish their shutdown
    if running_in_group(group):
        _signal_group(group, signal.SIGKILL)


def _signal_group(group: int, sig: signal.Signals) -> None:
    # ProcessLookupError: every process of the group has ended.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, sig)


def running_in_group(group: int) -> list[int]:
    """Processes of process group `group` still running (zombies are done)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields and int(fields[2]) == group and fields[0] != "Z":
            running.append(int(stat.parent.name))
    return running


def process_running(pid: int) -> bool:
    """Whether process `pid` runs (a zombie has ended)."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return bool(fields) and fields[0] != "Z"


def _stat_fields(stat: Path) -> list[str]:
    """State, ppid, pgrp, ... of a /proc stat file; empty if the process is gone."""
    try:
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after it.
        return stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []
