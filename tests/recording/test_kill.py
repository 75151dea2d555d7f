"""A recording survives ``kill -9`` of its process: every file reads, nothing
flushed before the kill is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from app.recording.files import recording_files
from app.recording.reader import read_batches, read_records
from tests.waiting import poll_until

ROOT = Path(__file__).resolve().parents[2]

# Records as fast as it can, in small files, until it is killed.
RECORDING_PROCESS = textwrap.dedent(
    """
    import sys, time
    from app.recording.writer import Recorder
    from tests.recording.support import record

    recorder = Recorder(sys.argv[1], file_bytes=200_000, flush_period_s=0.1)
    i = 0
    while True:
        recorder.record([record(n, size=1_000) for n in range(i, i + 50)])
        i += 50
        time.sleep(0.005)
    """
)


def _recorded(directory: Path) -> int:
    if not directory.exists():
        return 0
    return sum(1 for _ in read_records(directory))


def test_every_file_reads_after_kill_9_and_holds_all_that_was_flushed(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "recording"
    process = subprocess.Popen(
        [sys.executable, "-c", RECORDING_PROCESS, str(directory)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])},
    )
    try:
        # A loaded machine may flush the first 1,500 records as one batch of
        # one file: the kill waits for a rotation too.
        poll_until(
            lambda: (
                _recorded(directory) >= 1_500 and len(recording_files(directory)) >= 2
            ),
            timeout_s=60,
        )
        flushed = _recorded(directory)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    files = recording_files(directory)
    assert len(files) >= 2  # rotation happened before the kill
    for path in files:
        list(read_batches(path))  # every file reads, to its last whole batch
    offsets = [r.offset for r in read_records(directory)]
    # Nothing flushed before the kill is missing, and nothing is out of place.
    assert offsets == list(range(len(offsets)))
    assert len(offsets) >= flushed
