"""A library's function is patched only where it is the one written for."""

from __future__ import annotations

import logging

import pytest
from bokeh.core.serialization import Serializer

from app.page.as_written import as_written


def test_a_function_holding_the_expected_lines_is_the_one_written_for() -> None:
    assert as_written("bokeh", "Serializer", "-", (Serializer.__init__, "references"))


def test_one_that_does_not_is_left_alone_saying_what_the_page_does_without(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert not as_written(
            "bokeh",
            "Serializer",
            "every message lists the models again",
            (Serializer.__init__, "references"),
            (Serializer.encode, "a line Bokeh never wrote"),
        )
    assert caplog.messages == [
        "bokeh's Serializer is not the one written for: "
        "every message lists the models again"
    ]
