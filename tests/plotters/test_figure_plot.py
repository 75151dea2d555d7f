import panel as pn
import pytest

from app.data import DataService
from app.plotters import ImagePlotter, LinePlotter
from app.plotters.base import HeaderState
from app.plotters.figure_plot import HEADER_COLOURS
from tests.plotters.drawn_models import colour_bar
from tests.plotters.plotter_frames import PERIOD_NS, T0_NS, drawn_line, image, spectrum


def test_fixed_scale_sets_the_colour_range_and_auto_takes_it_back(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/panel_0")
    plotter.subscribe(data_service)
    data_service["detector/panel_0"] = image(0)
    plotter.draw(now_ns=T0_NS)

    plotter.param.update(scale="fixed", low=2.0, high=5.0)
    data_service["detector/panel_0"] = image(1)
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    mapper = colour_bar(plotter).color_mapper
    assert (mapper.low, mapper.high) == (2.0, 5.0)

    # Meanwhile the automatic range took in the new frame (values 1 to 12).
    plotter.scale = "auto"
    mapper = colour_bar(plotter).color_mapper
    assert mapper.low < 1.0
    assert mapper.high > 12.0


def test_fixing_the_scale_without_numbers_locks_the_range_shown_now(
    data_service: DataService,
) -> None:
    plotter = drawn_line(data_service)
    shown = (plotter.root.y_range.start, plotter.root.y_range.end)

    plotter.scale = "fixed"
    data_service["monitor/m1"] = spectrum(100)
    plotter.draw(now_ns=T0_NS + PERIOD_NS)

    assert (plotter.low, plotter.high) == shown
    assert (plotter.root.y_range.start, plotter.root.y_range.end) == shown


def test_line_y_range_grows_at_once_when_a_spectrum_leaves_it(
    data_service: DataService,
) -> None:
    plotter = drawn_line(data_service)
    assert plotter.root.y_range.end == pytest.approx(7.35)
    data_service["monitor/m1"] = spectrum(100)
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    assert plotter.root.y_range.end >= 107.0


def test_operator_zoom_holds_the_y_axis_until_reset_brings_the_chosen_range(
    data_service: DataService, line_drawn: LinePlotter
) -> None:
    plotter = line_drawn
    y_range = plotter.root.y_range
    chosen = (y_range.start, y_range.end)

    # What a pan in the browser does: start and end change, one after the other.
    y_range.start, y_range.end = 2.0, 3.0
    assert plotter.held
    data_service["monitor/m1"] = spectrum(100)
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    assert (y_range.start, y_range.end) == (2.0, 3.0)
    grown = (y_range.reset_start, y_range.reset_end)
    assert grown != chosen

    # The reset tool puts the range back to reset_start/reset_end.
    y_range.start, y_range.end = grown
    assert not plotter.held


def test_a_live_header_takes_the_pages_text_colour_also_after_a_pause(
    data_service: DataService,
) -> None:
    # The page's text colour is the theme's, light or dark: a fixed grey
    # vanished on the dark theme.
    plotter = drawn_line(data_service)
    header = plotter.header_model()
    assert header.styles["color"] == "inherit"

    plotter.paused = True
    plotter.draw(now_ns=T0_NS)
    assert header.styles["color"] == HEADER_COLOURS[HeaderState.PAUSED][0]
    plotter.paused = False
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    assert header.styles["color"] == "inherit"


def test_the_header_pause_pauses_the_plot_and_shows_a_pause_set_elsewhere(
    data_service: DataService,
) -> None:
    plotter = drawn_line(data_service)
    (pause,) = plotter.header_controls()
    assert pause.label == "pause"
    assert not pause.active
    pause.active = True  # as a click in the browser sets it
    assert plotter.paused
    data_service["monitor/m1"] = spectrum(1)
    plotter.draw(now_ns=T0_NS + PERIOD_NS)
    assert "paused" in plotter.header_model().text
    plotter.paused = False  # resumed elsewhere (another control, a test)
    assert not pause.active


def clear_button(plotter: LinePlotter):
    [button] = [
        widget
        for widget in pn.Column(*plotter.settings()).select(pn.widgets.Button)
        if "clear" in widget.css_classes
    ]
    return button


def test_a_viewers_clear_control_is_disabled_and_says_why(signed_in) -> None:
    signed_in("bob")
    button = clear_button(LinePlotter("monitor/m1"))
    assert button.disabled
    assert button.description == (
        "only operators may clear history; you are bob, a viewer"
    )
    signed_in("alice")
    assert not clear_button(LinePlotter("monitor/m1")).disabled


def test_a_viewers_forged_clicks_are_refused_and_change_nothing(
    data_service: DataService, signed_in, audit
) -> None:
    signed_in("bob")
    plotter = LinePlotter("monitor/m1")
    button = clear_button(plotter)
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    # What a browser whose page was changed sends: the control enabled, two clicks.
    button.disabled = False
    button.clicks += 1
    button.clicks += 1

    assert data_service["monitor/m1"] is not None
    assert button.disabled
    assert button.label == "clear"
    assert [entry.outcome for entry in audit.latest(5)] == ["refused", "refused"]
