import json
import logging
import tomllib
from pathlib import Path

import bokeh
import pytest
from bokeh.models import CustomJS

from app.page.bokehjs_patches import (
    BOKEHJS_MINOR,
    PATCHES,
    BokehJSPatches,
    log_record,
)

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def pinned(package: str) -> str:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (pin,) = [d for d in dependencies if d.split(">")[0].split("<")[0] == package]
    return pin


def test_bokeh_and_panel_are_pinned_to_the_minor_the_patches_are_written_for() -> None:
    major, minor = BOKEHJS_MINOR.split(".")
    assert pinned("bokeh") == f"bokeh>={major}.{minor},<{major}.{int(minor) + 1}"
    # Panel's minor brings its own BokehJS: it is pinned with bokeh.
    assert pinned("panel") == "panel>=1.9,<1.10"
    assert bokeh.__version__.startswith(f"{BOKEHJS_MINOR}.")


def test_the_page_gets_one_callback_with_the_minor_and_a_record_to_report_in() -> None:
    patches = BokehJSPatches()
    assert isinstance(patches.callback, CustomJS)
    assert patches.callback.args["minor"] == BOKEHJS_MINOR
    assert patches.callback.args["record"] is patches.record
    assert not patches.record.visible


def record(version: str, applied: list[str], failed: dict[str, str]) -> str:
    return json.dumps(
        {
            "version": version,
            "written_for": "3.9.x",
            "applied": applied,
            "failed": failed,
        }
    )


def test_a_bokehjs_of_another_minor_is_logged_with_the_version_found(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.page.bokehjs_patches"):
        log_record(record("3.10.0", [], {}))
    (entry,) = caplog.records
    assert entry.levelno == logging.WARNING
    assert "BokehJS 3.10.0, not 3.9.x" in entry.getMessage()
    assert "none applied" in entry.getMessage()


def test_a_patch_left_out_is_logged_with_the_reason_the_page_gave(
    caplog: pytest.LogCaptureFixture,
) -> None:
    applied = [name for name in PATCHES if name != "font-size"]
    failed = {"font-size": "PlotView has no base_font_size getter"}
    with caplog.at_level(logging.DEBUG, logger="app.page.bokehjs_patches"):
        log_record(record("3.9.7", applied, failed))
    (entry,) = caplog.records
    assert entry.levelno == logging.WARNING
    assert "BokehJS 3.9.7 left 1 of 5" in entry.getMessage()
    assert "font-size: PlotView has no base_font_size getter" in entry.getMessage()


def test_all_patches_applied_is_not_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.page.bokehjs_patches"):
        log_record(record("3.9.2", list(PATCHES), {}))
    assert [entry.levelno for entry in caplog.records] == [logging.DEBUG]


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"version": "3.9.2"}'])
def test_an_unreadable_record_is_logged_not_raised(
    text: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="app.page.bokehjs_patches"):
        log_record(text)
    (entry,) = caplog.records
    assert "unreadable" in entry.getMessage()
