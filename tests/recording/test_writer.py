"""Tests of app/recording/writer.py and files.py: written, flushed, rotated, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.recording.files import recording_files
from app.recording.reader import read_records
from app.recording.writer import Recorder
from tests.recording.support import T0, record
from tests.waiting import poll_until


def test_records_read_back_as_they_were_written(tmp_path: Path) -> None:
    records = [record(i) for i in range(50)]
    recorder = Recorder(tmp_path)
    recorder.record(records[:20])
    recorder.record(records[20:])
    recorder.close()

    assert list(read_records(tmp_path)) == records
    assert recorder.stats.written == 50
    assert recorder.stats.dropped == 0


def test_records_are_in_the_file_within_a_flush_period_while_it_is_open(
    tmp_path: Path,
) -> None:
    recorder = Recorder(tmp_path, flush_period_s=0.05)
    try:
        recorder.record([record(i) for i in range(10)])

        poll_until(lambda: len(list(read_records(tmp_path))) == 10)
    finally:
        recorder.close()


def test_a_file_ends_at_its_size_and_the_next_begins(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, file_bytes=5_000, flush_period_s=0.01)
    for i in range(10):
        recorder.record([record(i, size=2_000)])
        poll_until(lambda i=i: recorder.stats.written == i + 1)
    recorder.close()

    files = recording_files(tmp_path)
    assert len(files) >= 3
    assert recorder.stats.files == len(files)
    assert [r.offset for r in read_records(tmp_path)] == list(range(10))


def test_a_file_ends_at_its_age(tmp_path: Path) -> None:
    now = [T0]
    recorder = Recorder(
        tmp_path, file_seconds=60, flush_period_s=0.01, clock=lambda: now[0]
    )
    recorder.record([record(0)])
    poll_until(lambda: recorder.stats.written == 1)
    now[0] += 59_000_000_000
    recorder.record([record(1)])
    poll_until(lambda: recorder.stats.written == 2)
    assert recorder.stats.files == 1
    now[0] += 1_000_000_000
    recorder.record([record(2)])
    poll_until(lambda: recorder.stats.written == 3)
    recorder.close()

    assert recorder.stats.files == 2
    assert [r.offset for r in read_records(tmp_path)] == [0, 1, 2]


def test_the_oldest_files_go_first_beyond_the_total(tmp_path: Path) -> None:
    # Files of about 3 kB each; the total keeps some 3 of them.
    recorder = Recorder(
        tmp_path, file_bytes=2_500, total_bytes=10_000, flush_period_s=0.01
    )
    for i in range(20):
        recorder.record([record(i, size=2_500)])
        poll_until(lambda i=i: recorder.stats.written == i + 1)
    recorder.close()

    files = recording_files(tmp_path)
    assert sum(p.stat().st_size for p in files[:-1]) <= 10_000
    offsets = [r.offset for r in read_records(tmp_path)]
    # What is left is the newest, without a gap.
    assert offsets == list(range(20 - len(offsets), 20))
    assert 2 <= len(offsets) < 20


def test_records_beyond_the_queue_are_dropped_counted_and_said(
    tmp_path: Path,
) -> None:
    recorder = Recorder(tmp_path, max_queued_bytes=1_000, flush_period_s=60)
    recorder.record([record(0, size=500)])
    recorder.record([record(1, size=500), record(2, size=500)])
    recorder.close()

    assert recorder.stats.dropped == 2
    assert [r.offset for r in read_records(tmp_path)] == [0]
    assert "2 records not recorded" in recorder.describe()


def test_a_failed_write_drops_its_records_and_recording_goes_on(
    tmp_path: Path,
) -> None:
    recorder = Recorder(tmp_path, flush_period_s=0.01)
    recorder.record([record(0)])
    poll_until(lambda: recorder.stats.written == 1)
    # A record the container cannot hold (a partition beyond int32).
    broken = record(1)
    object.__setattr__(broken, "partition", 2**40)
    recorder.record([broken])
    poll_until(lambda: recorder.stats.dropped == 1)
    recorder.record([record(2)])
    recorder.close()

    assert [r.offset for r in read_records(tmp_path)] == [0, 2]


def test_bad_bounds_are_refused_naming_them(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file_bytes"):
        Recorder(tmp_path, file_bytes=0)
    with pytest.raises(ValueError, match="file_seconds"):
        Recorder(tmp_path, file_seconds=0)
