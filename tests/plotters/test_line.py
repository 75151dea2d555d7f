import numpy as np
import panel as pn
import scipp as sc
from bokeh.models import LogScale

from app.data import DataService
from app.plotters import LinePlotter

from .plotter_frames import T0_NS, spectrum


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


def test_log_y_rebuilds_the_figure_with_log_scale_and_gaps_for_zeros(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    view = plotter.panel()
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)

    plotter.log_y = True

    assert isinstance(plotter.root.y_scale, LogScale)
    (pane,) = view.select(pn.pane.Bokeh)
    assert pane.object is plotter.root
    assert np.isnan(plotter.source.data["y"][0])
    np.testing.assert_allclose(plotter.source.data["y"][1:], spectrum(0).values[1:])


def test_line_without_coord_counts_bins(data_service: DataService) -> None:
    plotter = LinePlotter("counts")
    plotter.subscribe(data_service)
    data_service["counts"] = sc.DataArray(sc.array(dims=["pixel"], values=[1.0, 2.0]))
    plotter.draw(now_ns=T0_NS)
    assert list(plotter.source.data["x"]) == [0, 1]
    assert plotter.root.xaxis[0].axis_label == "pixel [none]"
