"""The state every process shares: one JSON object per file, no change lost."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from app.shared_state import SharedState, SharedStateError, shared_state


def _count(path: str, times: int) -> None:
    state = SharedState(Path(path))
    for _ in range(times):
        state.update(lambda doc: {**doc, "n": doc.get("n", 0) + 1})


def test_a_missing_file_reads_as_an_empty_document(tmp_path: Path) -> None:
    assert SharedState(tmp_path / "regions.json").read() == {}
    assert not (tmp_path / "regions.json").exists()


def test_an_update_is_read_back_by_another_object_on_the_same_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sub" / "regions.json"
    SharedState(path).update(lambda doc: {**doc, "detector": [{"name": "a"}]})
    assert SharedState(path).read() == {"detector": [{"name": "a"}]}
    assert json.loads(path.read_text()) == {"detector": [{"name": "a"}]}


def test_what_read_returns_is_the_callers_to_change(tmp_path: Path) -> None:
    state = SharedState(tmp_path / "limits.json")
    state.update(lambda doc: {"t": {"high": 3}})
    state.read()["t"]["high"] = 99
    assert state.read() == {"t": {"high": 3}}


def test_no_change_is_lost_between_processes(tmp_path: Path) -> None:
    path = tmp_path / "counter.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_count, args=(str(path), 40)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert SharedState(path).read() == {"n": 120}


def test_a_file_that_is_not_an_object_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "regions.json"
    path.write_text("[1, 2]")
    with pytest.raises(SharedStateError, match=r"regions.json.*JSON object"):
        SharedState(path).read()


def test_an_update_moves_a_broken_file_aside_and_keeps_the_last_good_document(
    tmp_path: Path,
) -> None:
    path = tmp_path / "regions.json"
    state = SharedState(path)
    state.update(lambda doc: {"a": 1})
    path.write_text("{not json")
    assert state.update(lambda doc: {**doc, "b": 2}) == {"a": 1, "b": 2}
    [aside] = tmp_path.glob("regions.json.corrupt-*")
    assert aside.read_text() == "{not json"


def test_watchers_hear_of_a_change_made_elsewhere_and_not_of_a_broken_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "regions.json"
    state = SharedState(path)
    seen: list[dict] = []
    state.watch(seen.append)
    assert seen == [{}]
    SharedState(path).update(lambda doc: {"a": 1})
    assert state.changed()
    state.notify()
    assert seen == [{}, {"a": 1}]
    path.write_text("]")
    state.notify()
    assert seen == [{}, {"a": 1}]
    assert state.changed() is False


def test_watchers_in_this_process_hear_of_its_own_change_at_once(
    tmp_path: Path,
) -> None:
    state = SharedState(tmp_path / "regions.json")
    seen: list[dict] = []
    state.watch(seen.append)
    state.update(lambda doc: {"a": 1})
    assert seen == [{}, {"a": 1}]
    assert not state.changed(), "the watch thread will not tell it twice"


def test_the_watch_thread_brings_a_change_within_seconds(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    arrived = threading.Event()
    shared_state(tmp_path, "limits.json").watch(
        lambda doc: arrived.set() if doc else None
    )
    SharedState(path).update(lambda doc: {"x": 1})
    deadline = time.monotonic() + 10
    while not arrived.is_set() and time.monotonic() < deadline:
        arrived.wait(0.05)
    assert arrived.is_set()


def test_one_object_per_file_in_a_process(tmp_path: Path) -> None:
    assert shared_state(tmp_path, "a.json") is shared_state(str(tmp_path), "a.json")
    assert shared_state(tmp_path, "a.json") is not shared_state(tmp_path, "b.json")
