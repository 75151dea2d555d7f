"""The real ``app/dashboard.py``: built into a Bokeh document, and served."""

import re
import time
from collections.abc import Iterator

import pytest
from bokeh.models import ColumnDataSource, Div
from panel.io.application import build_single_handler_application
from panel.io.document import _cleanup_doc
from panel.io.session import generate_session

from app.ingestion.process import process_ingestion, stop_process_ingestion
from app.options import parse_options
from app.page.session import DashboardSession
from app.testing.local_server import DASHBOARD, serve_dashboard

ARGV = ["--frame-period", "0.1", "--simulated-rate", "20"]
ALL_KEYS = {
    "detector/panel_0",
    "monitor/m1",
    "monitor/m2",
    "log/sample_temperature",
    "log/motor_x",
    "log/proton_current",
}


@pytest.fixture
def in_process_ingestion() -> Iterator[None]:
    """The ingestion the script starts in this process, stopped after the test."""
    yield
    stop_process_ingestion()


def wait_for_keys(deadline_s: float = 30.0) -> None:
    data_service = process_ingestion(parse_options(ARGV)).data_service
    deadline = time.monotonic() + deadline_s
    while not set(data_service) >= ALL_KEYS:
        assert time.monotonic() < deadline, f"keys so far: {set(data_service)}"
        time.sleep(0.05)  # polling interval, bounded by the deadline


@pytest.mark.usefixtures("in_process_ingestion")
def test_app_builds_into_a_bokeh_document_without_a_browser() -> None:
    wait_for_keys()
    application = build_single_handler_application(str(DASHBOARD), ARGV)
    # A server session without a server or browser, as `panel serve --warm` makes.
    document = generate_session(application).document

    # The page goes out without plots: they are built once a browser connects
    # (decision 064), so a page nobody opens costs no plot.
    names = {model.name for model in document.select({"type": ColumnDataSource})}
    assert not {name for name in names if name and ":" in name}, names
    (progress,) = document.select({"type": Div, "name": "build-progress"})
    assert progress.text.startswith("building plots: 0 of ")
    (status,) = document.select({"type": Div, "name": "status"})
    assert status.text == "starting"
    closers = [
        callback
        for callback in document.session_destroyed_callbacks
        if getattr(callback, "__func__", None) is DashboardSession.close
    ]
    assert len(closers) == 1
    _cleanup_doc(document)


@pytest.mark.server
def test_panel_serve_answers_http_200_on_a_free_port() -> None:
    with serve_dashboard(ARGV) as server:
        assert server.get() == 200
        assert server.process.poll() is None
    assert server.process.poll() is not None


@pytest.mark.server
def test_ingestion_starts_with_the_server_before_any_browser() -> None:
    with serve_dashboard(ARGV) as server:
        # Listening means --setup has started the process's ingestion.
        assert re.search(
            r"ingestion started in process \d+: simulated instrument, 20.0 Hz",
            server.log(),
        )
        assert "WebSocket connection opened" not in server.log()
