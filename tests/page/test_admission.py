"""Tests of app/page/admission.py: at most --max-sessions sessions per process."""

import threading

import pytest

from app.limits import DEFAULT_MAX_SESSIONS
from app.options import parse_options
from app.page.admission import Admission, full_page


def test_one_session_beyond_the_limit_is_refused_and_a_closed_one_frees_its_place() -> (
    None
):
    admission = Admission(2)
    first, second = admission.admit(), admission.admit()
    assert first is not None
    assert second is not None
    assert admission.admit() is None
    assert admission.admitted == 2
    first.release(None)
    assert admission.admitted == 1
    third = admission.admit()
    assert third is not None
    assert admission.admit() is None


def test_a_place_is_freed_once_however_often_its_session_is_destroyed() -> None:
    admission = Admission(1)
    ticket = admission.admit()
    ticket.release(None)
    ticket.release(None)
    assert admission.admitted == 0
    assert admission.admit() is not None
    assert admission.admit() is None


def test_pages_built_at_once_on_many_threads_never_overshoot_the_limit() -> None:
    admission = Admission(10)
    tickets = []
    barrier = threading.Barrier(8)

    def build_pages() -> None:
        barrier.wait()
        for _ in range(100):
            tickets.append(admission.admit())

    threads = [threading.Thread(target=build_pages) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(ticket is not None for ticket in tickets) == 10
    assert admission.admitted == 10


def test_the_full_page_names_the_limit_and_where_to_go() -> None:
    (div,) = [obj.object for obj in full_page(7).objects if hasattr(obj.object, "text")]
    assert "full" in div.text
    assert "7 sessions" in div.text
    assert "--max-sessions" in div.text
    assert "another worker or host" in div.text


def test_max_sessions_comes_from_argument_or_environment_and_must_be_positive(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert parse_options([]).max_sessions == DEFAULT_MAX_SESSIONS
    assert parse_options([], {"DASHBOARD_MAX_SESSIONS": "8"}).max_sessions == 8
    assert parse_options(["--max-sessions", "3"]).max_sessions == 3
    with pytest.raises(SystemExit):
        parse_options(["--max-sessions", "0"])
    assert "must be positive" in capsys.readouterr().err
    with pytest.raises(ValueError, match="at least 1"):
        Admission(0)
