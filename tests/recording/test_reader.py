"""Tests of app/recording/reader.py: files cut short, empty, foreign."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from app.recording.files import file_name
from app.recording.reader import files_since, read_records
from app.recording.writer import Recorder
from tests.recording.support import T0, record
from tests.waiting import poll_until

S = 1_000_000_000


def _one_file_of_two_batches(directory: Path) -> Path:
    recorder = Recorder(directory, flush_period_s=0.01)
    recorder.record([record(0), record(1)])
    poll_until(lambda: recorder.stats.written == 2)
    recorder.record([record(2)])
    recorder.close()
    [path] = directory.iterdir()
    return path


def test_a_file_cut_inside_a_batch_reads_up_to_its_last_whole_batch(
    tmp_path: Path,
) -> None:
    path = _one_file_of_two_batches(tmp_path / "rec")
    whole = path.read_bytes()
    cut = tmp_path / "cut.arrows"
    # Without the end-of-stream marker and part of the second batch.
    cut.write_bytes(whole[: len(whole) - 40])

    assert [r.offset for r in read_records(cut)] == [0, 1]


def test_an_empty_file_holds_no_records(tmp_path: Path) -> None:
    empty = tmp_path / "empty.arrows"
    empty.write_bytes(b"")

    assert list(read_records(empty)) == []


def test_a_directory_reads_its_files_oldest_first(tmp_path: Path) -> None:
    for i in range(3):
        recorder = Recorder(tmp_path)
        recorder.record([record(i)])
        recorder.close()

    assert [r.offset for r in read_records(tmp_path)] == [0, 1, 2]


def test_an_arrow_stream_of_another_schema_is_refused_naming_the_file(
    tmp_path: Path,
) -> None:
    other = tmp_path / "other.arrows"
    table = pa.table({"x": [1, 2]})
    with (
        pa.OSFile(str(other), "wb") as sink,
        pa.ipc.new_stream(sink, table.schema) as stream,
    ):
        stream.write_table(table)

    with pytest.raises(ValueError, match=r"other\.arrows"):
        list(read_records(other))


def test_a_missing_path_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        list(read_records(tmp_path / "nowhere"))


def test_files_that_end_before_the_time_asked_are_not_opened(tmp_path: Path) -> None:
    names = [
        file_name(T0, 1),
        file_name(T0 + 10 * S, 2),  # another worker: may run on past T0 + 20 s
        file_name(T0 + 20 * S, 1),
        file_name(T0 + 30 * S, 1),
    ]
    files = [tmp_path / name for name in names]

    kept = files_since(files, since_ns=T0 + 25 * S)

    # The first of worker 1 ended when its next began, at T0 + 20 s.
    assert kept == files[1:]
