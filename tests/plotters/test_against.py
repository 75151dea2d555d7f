"""AgainstPlotter: each y frame a point (or map row) at x's value as of its time."""

import numpy as np
import pytest
import scipp as sc
from bokeh.document import Document
from bokeh.document.events import ColumnDataChangedEvent, ColumnsStreamedEvent

from app.data import DataService
from app.plotters.against import BINNED, NO_X_KEY, AgainstPlotter
from tests.plotters.conftest import DocumentEvents
from tests.plotters.plotter_frames import scalar, spectrum


def plot(frame_ndim: int = 0, **params) -> tuple[DataService, AgainstPlotter]:
    service = DataService()
    plotter = AgainstPlotter("y", x_key="x", frame_ndim=frame_ndim, **params)
    Document().add_root(plotter.root)
    plotter.subscribe(service)
    return service, plotter


def motor(index: int, position: float) -> sc.DataArray:
    return scalar(index, position, unit="mm")


def counts(index: int, value: float) -> sc.DataArray:
    return scalar(index, value, unit="counts")


def test_each_frame_is_a_point_at_x_as_of_its_time() -> None:
    service, plotter = plot()
    service["x"] = motor(0, 1.0)
    service["y"] = counts(1, 10.0)
    service["x"] = motor(2, 2.0)
    service["y"] = counts(2, 20.0)
    service["y"] = counts(3, 30.0)
    plotter.draw()
    assert plotter.source.data["x"] == [1.0, 2.0, 2.0]
    assert plotter.source.data["y"] == [10.0, 20.0, 30.0]
    assert plotter._fig.xaxis[0].axis_label == "x [mm]"


def test_a_new_frame_streams_its_point_alone() -> None:
    service, plotter = plot()
    service["x"] = motor(0, 1.0)
    for index in range(50):
        service["y"] = counts(index, float(index))
    plotter.draw()
    events = DocumentEvents(plotter.root.document)
    service["y"] = counts(50, 50.0)
    plotter.draw()
    (streamed,) = events.of_kind(ColumnsStreamedEvent)
    assert streamed.data["y"] == [50.0]
    assert not events.of_kind(ColumnDataChangedEvent)
    assert len(plotter.source.data["y"]) == 51


def test_a_late_frame_is_paired_by_its_own_time() -> None:
    service, plotter = plot()
    service["x"] = motor(0, 1.0)
    service["x"] = motor(5, 5.0)
    service["y"] = counts(6, 60.0)
    plotter.draw()
    service["y"] = counts(2, 20.0)  # late: its time is before the last drawn
    plotter.draw()
    assert plotter.source.data["x"] == [5.0, 1.0]


def test_a_frame_before_any_x_is_not_drawn() -> None:
    service, plotter = plot()
    service["x"] = motor(5, 5.0)
    service["y"] = counts(1, 10.0)
    plotter.draw()
    assert plotter.source.data["x"] == []
    assert "no value of 'x'" in plotter.header


def test_binned_shows_the_mean_and_spread_of_y_per_x_bin() -> None:
    service, plotter = plot(mode=BINNED, bin_width=1.0)
    service["x"] = motor(0, 2.5)
    service["y"] = counts(1, 10.0)
    service["y"] = counts(2, 20.0)
    service["x"] = motor(3, 7.2)
    service["y"] = counts(4, 5.0)
    plotter.draw()
    data = plotter.binned.data
    assert list(data["x"]) == [2.5, 7.5]
    assert list(data["mean"]) == [15.0, 5.0]
    assert list(data["high"] - data["mean"]) == pytest.approx([5.0, 0.0])


def test_a_spectrum_is_a_row_of_the_map_at_x() -> None:
    service, plotter = plot(frame_ndim=1, bin_width=0.5)
    service["x"] = motor(0, 3.0)
    service["y"] = spectrum(1)
    plotter.draw()
    data = plotter.source.data
    np.testing.assert_array_equal(data["image"][0][0], spectrum(1).values)
    assert data["y"] == [2.75]
    assert plotter._fig.yaxis[0].axis_label == "x [mm]"


def test_divided_frames_are_paired_as_scipp_divides_them() -> None:
    service, plotter = plot()
    plotter.unsubscribe()
    plotter.divide_by("m")
    plotter.subscribe(service)
    service["m"] = scalar(0, 4.0, unit="uA")
    service["x"] = motor(0, 1.0)
    service["y"] = counts(1, 10.0)
    plotter.draw()
    expected = sc.scalar(10.0, unit="counts") / sc.scalar(4.0, unit="uA")
    assert plotter.source.data["y"] == [expected.value]
    assert plotter._fig.yaxis[0].axis_label == f"y [{expected.unit}]"


def test_without_an_x_key_the_plot_asks_for_one() -> None:
    service = DataService()
    plotter = AgainstPlotter("y", frame_ndim=0)
    plotter.subscribe(service)
    service["y"] = counts(1, 10.0)
    plotter.draw()
    assert NO_X_KEY in plotter.failure
