"""A card's pairing menus (x key, divisor) and "against" plots in a session."""

import itertools

import numpy as np
import panel as pn
import pytest

from app.ingestion.process import Ingestion
from app.options import DashboardOptions
from app.page.layout_file import Layout, parse_url_layout
from app.page.pairing import CHOOSE, NOTHING
from app.page.session import DashboardSession
from app.plot_spec import AGAINST, PlotSpec
from app.plotters.against import AgainstPlotter
from app.sources import SimulatedInstrument
from app.sources.simulated import MOTOR_X, PROTON_CURRENT, SCAN_COUNTS, SCAN_PEAK_MM
from tests.page.card_parts import open_settings

T0_NS = 1_790_000_000_000_000_000


@pytest.fixture
def ingestion() -> Ingestion:
    """The simulated scan, one tick per update on a clock the test turns."""
    ticks = itertools.count()
    instrument = SimulatedInstrument(
        seed=1,
        streams=[MOTOR_X, PROTON_CURRENT, SCAN_COUNTS],
        clock=lambda: T0_NS + next(ticks) * 200_000_000,
    )
    return Ingestion(instrument, ingest_period_s=1.0, max_batch_seconds=3600.0)


def menu(session: DashboardSession, css: str) -> pn.widgets.Select:
    """The one card's menu of class `css`, its settings opened first."""
    for row in session.grid.rows.values():
        for card in row.objects:
            open_settings(card)
    (found,) = [
        widget
        for row in session.grid.rows.values()
        for card in row.objects
        for widget in card.select(pn.widgets.Select)
        if css in widget.css_classes
    ]
    return found


def test_the_scan_peaks_at_its_known_position_in_an_against_plot(
    ingestion: Ingestion,
) -> None:
    spec = PlotSpec(SCAN_COUNTS, AGAINST, x_key=MOTOR_X)
    session = DashboardSession(ingestion, DashboardOptions(), layout=Layout((spec,)))
    session.start()
    try:
        for _ in range(100):  # 20 s: the motor's way up, 0 to 100 mm
            ingestion.orchestrator.update()
            session.draw_frame()
        (plotter,) = session.plotters
        assert isinstance(plotter, AgainstPlotter)
        x = np.asarray(plotter.source.data["x"])
        y = np.asarray(plotter.source.data["y"])
        assert len(x) == 100
        positions = np.unique(x)
        means = [y[x == p].mean() for p in positions]
        assert positions[int(np.argmax(means))] == pytest.approx(SCAN_PEAK_MM, abs=2)
    finally:
        session.close(None)


def test_the_x_menu_offers_the_values_and_its_choice_draws_against_it(
    ingestion: Ingestion,
) -> None:
    ingestion.orchestrator.update()
    spec = PlotSpec(SCAN_COUNTS, AGAINST)
    session = DashboardSession(ingestion, DashboardOptions(), layout=Layout((spec,)))
    session.start()
    try:
        x_menu = menu(session, "plot-x-key")
        assert x_menu.options == [CHOOSE, MOTOR_X, PROTON_CURRENT]
        x_menu.value = MOTOR_X
        (plotter,) = session.plotters
        assert plotter.x_key == MOTOR_X
        assert session.layout.plots == (PlotSpec(SCAN_COUNTS, AGAINST, x_key=MOTOR_X),)
    finally:
        session.close(None)


def test_dividing_a_plot_replaces_it_in_place_and_the_link_keeps_it(
    ingestion: Ingestion,
) -> None:
    ingestion.orchestrator.update()
    spec = PlotSpec(SCAN_COUNTS, "latest")
    session = DashboardSession(ingestion, DashboardOptions(), layout=Layout((spec,)))
    session.start()
    try:
        divide = menu(session, "plot-divide-by")
        assert divide.value == NOTHING
        divide.value = PROTON_CURRENT
        (plotter,) = session.plotters
        assert plotter.divisor == PROTON_CURRENT
        ingestion.orchestrator.update()
        session.draw_frame()
        assert "counts/uA" in plotter.text
        (shared,) = parse_url_layout(session.layout_url()).plots
        assert shared.divide_by == PROTON_CURRENT
        session.change_view(shared, "window")  # another view keeps the divisor
        (window,) = session.plotters
        assert window.divisor == PROTON_CURRENT
    finally:
        session.close(None)
