"""What every test shares: a state directory outside the work tree, and the
suite's order (the files that mostly wait on processes start first)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

FIRST = ("server", "browser", "kafka")
"""Markers of the longest files, longest first: served processes, browsers and
Kafka's mock cluster spend their time waiting, not computing."""


@pytest.fixture(autouse=True, scope="session")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The dashboard's ``--state-dir`` for pages built in the test process.

    Its default lies under the working directory: a test that builds the
    dashboard's script and then clears a history would write an audit file
    into the work tree, which `make test` leaves as it found it.
    """
    with _environment("DASHBOARD_STATE_DIR", str(tmp_path_factory.mktemp("state"))):
        yield


@pytest.fixture(autouse=True, scope="session")
def fixed_frame_period() -> Iterator[None]:
    """Served test pages draw at the period they name, not faster while the
    server has room (decision 038): a page's frame rate then does not depend
    on how busy the suite's machine is, and the suite's browsers draw half as
    often. Tests of the pace name ``--fast-frame-period`` themselves."""
    # Clamped to ``--frame-period``: no faster than the slow period.
    with _environment("DASHBOARD_FAST_FRAME_PERIOD", "3600"):
        yield


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def _rank(item: pytest.Item) -> int:
    marks = {mark.name for mark in item.iter_markers()}
    return next((i for i, name in enumerate(FIRST) if name in marks), len(FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `make test` hands whole files to its workers in this order: a long file
    # taken last would leave the other workers idle while it runs. A file's
    # own tests keep their order (the sort is stable).
    files = {}
    for item in items:
        files[item.path] = min(files.get(item.path, len(FIRST)), _rank(item))
    items.sort(key=lambda item: files[item.path])
