import logging

import pytest
import scipp as sc
from bokeh.document import Document

from app.data import DataService
from app.plotters import LinePlotter
from app.plotters.base import format_age

from .plotter_frames import PERIOD_NS, T0_NS, spectrum


def test_trigger_records_data_without_touching_the_document(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = LinePlotter("monitor/m1")
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    document_events.clear()

    data_service["monitor/m1"] = spectrum(0)

    assert plotter.has_pending
    assert document_events.events == []
    assert plotter.draw(now_ns=T0_NS)
    assert document_events.events != []
    assert not plotter.has_pending


def test_draw_without_new_data_sends_nothing(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = LinePlotter("monitor/m1")
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)
    document_events.clear()

    assert not plotter.draw(now_ns=T0_NS + PERIOD_NS)
    assert document_events.events == []


def test_header_shows_key_unit_and_age_of_newest_data(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    assert plotter.header == ""
    plotter.draw(now_ns=T0_NS)
    assert plotter.header == "monitor/m1 · no data yet"

    data_service["monitor/m1"] = spectrum(0, unit="counts")
    plotter.draw(now_ns=T0_NS + 4_500_000_000)

    assert plotter.header == "monitor/m1 [counts] · age 4 s"
    assert plotter.root.title.text == plotter.header


def test_replay_on_subscribe_hands_over_current_data(
    data_service: DataService,
) -> None:
    data_service["monitor/m1"] = spectrum(3)
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service, replay=True)
    assert plotter.draw(now_ns=T0_NS)
    assert list(plotter.source.data["y"]) == list(spectrum(3).values)


def test_unsubscribe_restores_subscriber_count(data_service: DataService) -> None:
    before = data_service.subscriber_count
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    assert data_service.subscriber_count == before + 1
    plotter.unsubscribe()
    plotter.unsubscribe()
    assert data_service.subscriber_count == before


def test_value_that_cannot_be_drawn_is_logged_not_raised(
    data_service: DataService, caplog: pytest.LogCaptureFixture
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = sc.DataArray(sc.scalar(1.0))
    with caplog.at_level(logging.ERROR):
        plotter.draw(now_ns=T0_NS)
    assert "monitor/m1" in caplog.text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "age < 1 s"), (59.9, "age 59 s"), (600, "age 10 min"), (9000, "age 2.5 h")],
)
def test_age_is_coarse_enough_not_to_change_every_frame(
    seconds: float, text: str
) -> None:
    assert format_age(seconds) == text
