import numpy as np
import panel as pn
import scipp as sc
from bokeh.document.events import ColumnDataChangedEvent
from bokeh.models import HoverTool, LinearScale, LogScale, LogTicker

from app.data import DataService
from app.plotters import LinePlotter
from tests.plotters.plotter_frames import T0_NS, spectrum


def test_line_shows_latest_spectrum_against_bin_centres_with_units(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    data_service["monitor/m1"] = spectrum(1)
    plotter.draw(now_ns=T0_NS)

    np.testing.assert_allclose(plotter.source.data["x"], np.arange(8) * 10 + 5)
    np.testing.assert_allclose(plotter.source.data["y"], spectrum(1).values)
    assert plotter.root.xaxis[0].axis_label == "tof [µs]"
    assert plotter.root.yaxis[0].axis_label == "value [counts]"


def test_log_y_switches_the_scale_in_place_keeping_figure_and_ranges(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    view = plotter.panel()
    figure = plotter.root
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)
    figure.y_range.update(start=0.5, end=6.0)
    figure.x_range.update(start=10.0, end=50.0)

    plotter.log_y = True

    assert plotter.root is figure
    (pane,) = view.select(pn.pane.Bokeh)
    assert pane.object is figure
    assert isinstance(figure.y_scale, LogScale)
    assert isinstance(figure.yaxis[0].ticker, LogTicker)
    assert (figure.y_range.start, figure.y_range.end) == (0.5, 6.0)
    assert (figure.x_range.start, figure.x_range.end) == (10.0, 50.0)
    assert np.isnan(plotter.source.data["y"][0])
    np.testing.assert_allclose(plotter.source.data["y"][1:], spectrum(0).values[1:])

    plotter.log_y = False
    assert isinstance(figure.y_scale, LinearScale)
    assert (figure.y_range.start, figure.y_range.end) == (0.5, 6.0)


def test_hover_reads_bin_edges_sent_once_not_every_frame(
    data_service: DataService, line_drawn: LinePlotter, document_events
) -> None:
    plotter = line_drawn
    np.testing.assert_allclose(plotter.edges.data["edge"], np.arange(9) * 10.0)
    (hover,) = plotter.root.select(HoverTool)
    assert hover.tooltips == [("tof [µs]", "@x{bin}"), ("value", "@y")]
    document_events.clear()

    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)

    changed = {(type(e.model).__name__, e.model.name) for e in document_events.events}
    assert changed == {("ColumnDataSource", "line:monitor/m1")}


def test_a_spectrum_of_the_same_bins_sends_only_its_values(
    data_service: DataService, line_drawn: LinePlotter, document_events
) -> None:
    plotter = line_drawn
    document_events.clear()

    data_service["monitor/m1"] = spectrum(1)
    plotter.draw(now_ns=T0_NS)

    (changed,) = document_events.of_kind(ColumnDataChangedEvent)
    assert changed.cols == ["y"]
    np.testing.assert_allclose(plotter.source.data["y"], spectrum(1).values)
    document_events.clear()

    # Other bins (a new history): both columns anew.
    data_service["monitor/m1"] = spectrum(2)[1:]
    plotter.draw(now_ns=T0_NS)
    changed = document_events.of_kind(ColumnDataChangedEvent)[-1]
    assert changed.cols in (None, ["x", "y"])
    assert len(plotter.source.data["x"]) == len(plotter.source.data["y"]) == 7


def test_line_without_coord_counts_bins(data_service: DataService) -> None:
    plotter = LinePlotter("counts")
    plotter.subscribe(data_service)
    data_service["counts"] = sc.DataArray(sc.array(dims=["pixel"], values=[1.0, 2.0]))
    plotter.draw(now_ns=T0_NS)
    assert list(plotter.source.data["x"]) == [0, 1]
    assert plotter.root.xaxis[0].axis_label == "pixel"


def test_a_spectrum_of_one_bin_is_drawn_across_that_bin(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    one_bin = sc.DataArray(
        sc.array(dims=["tof"], values=[7.0], unit="counts"),
        coords={"tof": sc.array(dims=["tof"], values=[10.0, 30.0], unit="us")},
    )
    data_service["monitor/m1"] = one_bin
    plotter.draw(now_ns=T0_NS)

    # One point draws no line: the bin's value spans it from edge to edge.
    assert list(plotter.source.data["x"]) == [10.0, 30.0]
    assert list(plotter.source.data["y"]) == [7.0, 7.0]


def test_masked_bins_are_gaps_and_a_fully_masked_spectrum_says_so(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(data_service)
    frame = spectrum(0)
    frame.masks["noisy"] = sc.array(dims=["tof"], values=[False] * 7 + [True])
    data_service["monitor/m1"] = frame
    plotter.draw(now_ns=T0_NS)
    y = plotter.source.data["y"]
    assert np.isnan(y[-1])
    assert np.isfinite(y[:-1]).all()

    frame = spectrum(1)
    frame.masks["all"] = sc.array(dims=["tof"], values=[True] * 8)
    data_service["monitor/m1"] = frame
    plotter.draw(now_ns=T0_NS)
    assert "· all values masked" in plotter.header


def test_a_reference_is_drawn_dashed_beside_the_live_line_and_held_in_range(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.use_reference(spectrum(20))
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)

    assert plotter.reference_source.name == "reference:monitor/m1"
    np.testing.assert_allclose(plotter.reference_source.data["y"], spectrum(20).values)
    np.testing.assert_allclose(
        plotter.reference_source.data["x"], np.arange(8) * 10 + 5
    )
    np.testing.assert_allclose(plotter.source.data["y"], spectrum(0).values)
    (dashed,) = [r for r in plotter.root.renderers if r.glyph.line_dash == [6]]
    assert dashed.data_source is plotter.reference_source
    assert plotter.root.y_range.end >= spectrum(20).values.max()
    assert "reference of 2026-09-21" in plotter.header


def test_the_frame_kept_as_reference_is_the_one_drawn(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    assert plotter.reference_frame() is None
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(3)
    plotter.draw(now_ns=T0_NS)
    plotter.paused = True
    data_service["monitor/m1"] = spectrum(4)
    plotter.draw(now_ns=T0_NS)

    assert sc.identical(plotter.reference_frame(), spectrum(3))
    assert plotter.reference_source is None  # a plot without one builds none
