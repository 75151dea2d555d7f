import itertools

import pytest

from app.ingestion import Ingestion
from app.options import DashboardOptions
from app.plotters import ImagePlotter, LinePlotter, SlidingWindowPlotter, ValuePanel
from app.session import DashboardSession
from app.sources import SimulatedInstrument

T0_NS = 1_790_000_000_000_000_000


@pytest.fixture
def ingestion() -> Ingestion:
    """An ingestion whose loop the test turns by hand, on a clock it controls."""
    ticks = itertools.count()
    instrument = SimulatedInstrument(
        seed=1, rate_hz=5.0, clock=lambda: T0_NS + next(ticks) * 200_000_000
    )
    return Ingestion(instrument, ingest_period_s=1.0)


def test_layout_is_chosen_by_dimensionality(ingestion: Ingestion) -> None:
    ingestion.orchestrator.update()
    session = DashboardSession(ingestion, DashboardOptions(window_size=7))
    kinds = {(type(p).__name__, p.key) for p in session.plotters}
    assert kinds == {
        ("ImagePlotter", "detector/panel_0"),
        ("LinePlotter", "monitor/m1"),
        ("LinePlotter", "monitor/m2"),
        ("SlidingWindowPlotter", "monitor/m1"),
        ("SlidingWindowPlotter", "monitor/m2"),
        ("ValuePanel", "log/sample_temperature"),
        ("ValuePanel", "log/motor_x"),
        ("ValuePanel", "log/proton_current"),
        ("SlidingWindowPlotter", "log/sample_temperature"),
        ("SlidingWindowPlotter", "log/motor_x"),
        ("SlidingWindowPlotter", "log/proton_current"),
    }
    windows = [p for p in session.plotters if isinstance(p, SlidingWindowPlotter)]
    assert {p.window_size for p in windows} == {7}
    rows = session.grid.values, session.grid.latest, session.grid.windows
    assert [len(row) for row in rows] == [3, 3, 5]


def test_nothing_is_subscribed_before_the_browser_connects(
    ingestion: Ingestion,
) -> None:
    ingestion.orchestrator.update()
    DashboardSession(ingestion, DashboardOptions())
    assert ingestion.data_service.subscriber_count == 0
    assert ingestion.sessions == 0


def test_started_session_draws_and_close_unregisters_everything(
    ingestion: Ingestion,
) -> None:
    ingestion.orchestrator.update()
    session = DashboardSession(ingestion, DashboardOptions())
    session.start()
    try:
        assert ingestion.data_service.subscriber_count == len(session.plotters)
        assert ingestion.sessions == 1
        ingestion.orchestrator.update()
        session.draw_frame()
        (image,) = [p for p in session.plotters if isinstance(p, ImagePlotter)]
        assert image.source.data["image"][0].shape == (128, 128)
        assert "1 sessions" in session.status.div.text
    finally:
        session.close(None)
    assert ingestion.data_service.subscriber_count == 0
    assert ingestion.sessions == 0
    session.close(None)
    assert ingestion.sessions == 0


def test_keys_arriving_later_get_plots_in_running_sessions(
    ingestion: Ingestion,
) -> None:
    session = DashboardSession(ingestion, DashboardOptions(keys=("monitor/m1",)))
    assert session.plotters == ()
    session.start()
    try:
        ingestion.orchestrator.update()
        session.draw_frame()
        assert [type(p) for p in session.plotters] == [
            LinePlotter,
            SlidingWindowPlotter,
        ]
        assert ingestion.data_service.subscriber_count == 2
        assert len(session.plotters[0].source.data["y"]) == 200
    finally:
        session.close(None)


def test_renderer_option_reaches_every_figure(ingestion: Ingestion) -> None:
    ingestion.orchestrator.update()
    session = DashboardSession(ingestion, DashboardOptions(renderer="webgl"))
    figures = [p.root for p in session.plotters if not isinstance(p, ValuePanel)]
    assert len(figures) == 8
    assert {figure.output_backend for figure in figures} == {"webgl"}
