"""A temporary git worktree of an earlier commit, for benchmarks that run the
code before a change beside the working tree in one run."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.testing.local_server import REPO


@contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """A temporary worktree of `rev`, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder), rev],
        check=True,
        capture_output=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
            check=True,
            capture_output=True,
        )
