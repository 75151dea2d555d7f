"""Suite-wide order: the files that mostly wait on processes start first."""

from __future__ import annotations

import pytest

FIRST = ("server", "browser", "kafka")
"""Markers of the longest files, longest first: served processes, browsers and
Kafka's mock cluster spend their time waiting, not computing."""


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
