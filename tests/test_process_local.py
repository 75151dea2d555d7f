"""Tests of app/process_local.py: one value per process, made again in a fork."""

import os

from app.process_local import ProcessLocal


def test_the_value_is_made_once_and_taken_back() -> None:
    local: ProcessLocal[list[int]] = ProcessLocal()
    made = local.get(lambda: [1])
    assert local.get(lambda: [2]) is made
    assert local.take() is made
    assert local.take() is None
    assert local.get(lambda: [3]) == [3]


def test_a_forked_child_makes_its_own_value() -> None:
    local: ProcessLocal[list[int]] = ProcessLocal()
    parents = local.get(lambda: [os.getpid()])
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if it made a value of its own
        own = local.get(lambda: [os.getpid()])
        os._exit(0 if own is not parents and own == [os.getpid()] else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert local.get(lambda: []) is parents
