import logging
import time

import panel as pn
import pytest
import scipp as sc
from bokeh.document import Document

from app.data import DataService
from app.plotters import LinePlotter, ValuePanel
from app.plotters.base import HeaderState, format_age
from tests.plotters.plotter_frames import PERIOD_NS, T0_NS, drawn_line, spectrum


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
    data_service: DataService, line_drawn: LinePlotter, document_events
) -> None:
    plotter = line_drawn
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
    assert plotter.header_model().text == plotter.header


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


SECOND_NS = 1_000_000_000


def test_plot_is_stale_once_newest_data_is_older_than_five_seconds(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS + 5 * SECOND_NS)
    assert not plotter.stale
    assert plotter.header_state is HeaderState.LIVE

    plotter.draw(now_ns=T0_NS + 130 * SECOND_NS)

    assert plotter.stale
    assert plotter.header == "monitor/m1 [counts] · stale · age 2 min"
    assert plotter.header_state is HeaderState.STALE
    assert plotter.header_model().styles["background-color"] == "#ffe2a0"


def test_stale_waits_five_usual_intervals_for_a_key_that_updates_slowly(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    # One frame every 50 periods (10 s): stale after 50 s, not after 5 s.
    for index in range(0, 250, 50):
        data_service["monitor/m1"] = spectrum(index)
        plotter.draw(now_ns=T0_NS + index * PERIOD_NS)
    newest_ns = T0_NS + 200 * PERIOD_NS
    plotter.draw(now_ns=newest_ns + 45 * SECOND_NS)
    assert not plotter.stale
    plotter.draw(now_ns=newest_ns + 55 * SECOND_NS)
    assert plotter.stale


def test_paused_plot_draws_nothing_and_shows_the_newest_at_once_on_resume(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = LinePlotter("monitor/m1")
    document.add_root(plotter.root)
    document.add_root(plotter.header_model())
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)

    plotter.paused = True
    data_service["monitor/m1"] = spectrum(1)
    data_service["monitor/m1"] = spectrum(2)
    document_events.clear()
    assert not plotter.draw(now_ns=T0_NS + 3 * PERIOD_NS)
    assert list(plotter.source.data["y"]) == list(spectrum(0).values)
    assert "paused" in plotter.header
    assert plotter.header_state is HeaderState.PAUSED
    # Only the header changed: no data went to the browser.
    assert document_events.events
    assert all(
        event.model is plotter.header_model() for event in document_events.events
    )

    plotter.paused = False
    assert plotter.draw(now_ns=T0_NS + 3 * PERIOD_NS)
    assert list(plotter.source.data["y"]) == list(spectrum(2).values)
    assert "paused" not in plotter.header


def test_a_paused_plot_tells_the_age_of_what_it_shows_not_of_what_waits(
    data_service: DataService,
) -> None:
    plotter = drawn_line(data_service)
    plotter.paused = True

    # Two minutes on, data keeps arriving behind the pause.
    two_minutes = 600  # frames of PERIOD_NS
    for index in range(5, two_minutes + 1, 5):
        data_service["monitor/m1"] = spectrum(index)
        plotter.draw(now_ns=T0_NS + index * PERIOD_NS)

    assert plotter.age_text == "age 2 min"
    assert "paused" in plotter.header
    # Data arrives, so the plot is not stale: paused is what it says.
    assert plotter.header_state is HeaderState.PAUSED

    plotter.paused = False
    plotter.draw(now_ns=T0_NS + two_minutes * PERIOD_NS)
    assert plotter.age_text == format_age(0)


def test_every_plot_of_a_cleared_key_says_who_cleared_it_until_new_data(
    data_service: DataService, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, elsewhere = LinePlotter("monitor/m1"), LinePlotter("monitor/m1")
    for plotter in (here, elsewhere):
        plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    now_ns = time.time_ns()
    for plotter in (here, elsewhere):
        plotter.draw(now_ns)
    monkeypatch.setattr(type(pn.state), "user", property(lambda state: "alice"))

    here.clear_history()

    for plotter in (here, elsewhere):
        plotter.draw(now_ns)
        assert plotter.age_text == "no data · cleared just now by alice"
        plotter.draw(now_ns + 200 * SECOND_NS)
        assert plotter.header.endswith("· no data · cleared 3 min ago by alice")
    data_service["monitor/m1"] = spectrum(1)
    elsewhere.draw(now_ns + 200 * SECOND_NS)
    assert "cleared" not in elsewhere.header


def test_a_clear_without_a_signed_in_user_is_by_an_operator(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.clear_history()
    plotter.draw(time.time_ns())
    assert plotter.age_text == "no data · cleared just now by an operator"


def test_a_plot_that_cannot_draw_says_why_in_colour_until_good_data(
    data_service: DataService,
) -> None:
    plotter = drawn_line(data_service)
    data_service["monitor/m1"] = sc.DataArray(sc.scalar(1.0))
    plotter.draw(now_ns=T0_NS)
    failed = plotter.header_model()
    assert "cannot draw DataArray" in failed.text
    colours = (failed.styles["color"], failed.styles["background-color"])
    assert colours == ("#9c0000", "#fdd8d8")

    # Frames that bring nothing new keep the failure on screen.
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    assert "cannot draw" in plotter.header_model().text

    data_service["monitor/m1"] = spectrum(1)
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    assert "cannot draw" not in plotter.header_model().text
    assert plotter.header_model().styles["background-color"] == "transparent"


def test_a_key_that_is_not_a_string_is_titled_by_its_str(
    data_service: DataService,
) -> None:
    key = ("monitor", 1)
    plotter = LinePlotter(key)
    plotter.subscribe(data_service)
    data_service[key] = spectrum(0)
    plotter.draw(now_ns=T0_NS)
    assert plotter.header.startswith("('monitor', 1) [counts]")
    assert plotter.source.name == "line:('monitor', 1)"


@pytest.mark.parametrize("make", [LinePlotter, ValuePanel])
def test_clearing_the_history_shows_no_data_in_every_plot_of_the_key(
    data_service: DataService, make
) -> None:
    plotter, other = make("monitor/m1"), LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    other.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)
    other.draw(now_ns=T0_NS)

    plotter.clear_history()
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    other.draw(now_ns=T0_NS + PERIOD_NS)

    assert "monitor/m1" not in data_service
    assert "no data" in plotter.header
    assert other.header.startswith("monitor/m1 · no data")
    assert list(other.source.data["y"]) == []
    data_service["monitor/m1"] = spectrum(1)
    other.draw(now_ns=T0_NS + PERIOD_NS)
    assert list(other.source.data["y"]) == list(spectrum(1).values)


def test_clear_button_clears_only_on_a_second_click(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    settings = pn.Column(*plotter.settings())
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    (clear,) = [b for b in settings.select(pn.widgets.Button) if b.label == "clear"]

    clear.clicks += 1
    assert clear.label == "confirm clear?"
    assert "monitor/m1" in data_service
    clear.clicks += 1
    assert clear.label == "clear"
    assert "monitor/m1" not in data_service


def test_plot_calls_the_callback_given_with_notify_with_when_data_arrives(
    data_service: DataService,
) -> None:
    calls = []
    plotter = LinePlotter("monitor/m1")
    plotter.notify_with(lambda: calls.append("frame"))
    plotter.subscribe(data_service)

    data_service["monitor/m1"] = spectrum(0)
    assert calls == ["frame"]

    plotter.notify_with(None)
    data_service["monitor/m1"] = spectrum(1)
    assert calls == ["frame"]


def test_resumed_plot_asks_for_a_frame_at_once(data_service: DataService) -> None:
    calls = []
    plotter = LinePlotter("monitor/m1", paused=True)
    plotter.notify_with(lambda: calls.append("frame"))

    plotter.paused = False

    assert calls == ["frame"]


def test_a_viewers_clear_is_refused_audited_and_keeps_the_history(
    data_service: DataService, signed_in, audit
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    signed_in("bob")

    assert not plotter.clear_history()

    assert data_service["monitor/m1"] is not None
    plotter.draw(time.time_ns())
    assert "cleared" not in plotter.age_text
    [entry] = audit.latest(5)
    assert (entry.user, entry.action, entry.key, entry.outcome) == (
        "bob",
        "clear history",
        "monitor/m1",
        "refused",
    )


def test_an_operators_clear_is_done_and_audited_with_their_name(
    data_service: DataService, signed_in, audit
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    signed_in("alice")

    assert plotter.clear_history()

    plotter.draw(time.time_ns())
    assert plotter.age_text == "no data · cleared just now by alice"
    [entry] = audit.latest(5)
    assert (entry.user, entry.key, entry.outcome) == ("alice", "monitor/m1", "done")


def test_a_figure_is_made_in_steps_and_a_failed_step_starts_it_anew() -> None:
    # A served page makes a figure a step a turn (decision 064).
    plotter = LinePlotter("spectrum/a")
    assert not plotter.build_step()  # the figure
    assert not plotter.built
    assert plotter.build_step()  # its glyphs and tools
    assert plotter.built
    assert plotter.root.name == "figure:line:spectrum/a"

    failing = LinePlotter("spectrum/b")
    failing.build_step()
    failing._fig = None  # the next step cannot draw into it
    with pytest.raises(AttributeError):
        failing.build_step()
    assert failing.build_step() is False  # anew: the figure again
    assert failing.build_step()
    assert failing.built
