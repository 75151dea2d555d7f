"""The as-of pairing (decision 090): x's value as of each y frame's time."""

import numpy as np
import pytest
import scipp as sc

from app.data import DataService
from app.plotters import LinePlotter, SlidingWindowPlotter, ValuePanel
from app.plotters.as_of import AsOfHistory, Recent, RecentFramesExtractor, divided
from tests.plotters.plotter_frames import PERIOD_NS, T0_NS, scalar, spectrum


def recent_of(service: DataService, key: str) -> Recent:
    return RecentFramesExtractor().extract(service.buffer(key).snapshot())


def history_of(*frames: sc.DataArray) -> AsOfHistory:
    service = DataService()
    history = AsOfHistory("x")
    service.register_subscriber(_Keeps("x"))
    for frame in frames:
        service["x"] = frame
        history.take(recent_of(service, "x"))
    return history


class _Keeps:
    """A subscriber that makes the service keep the recent frames of a key."""

    def __init__(self, key: str) -> None:
        self.keys = {key}
        self.extractors = {key: RecentFramesExtractor()}

    def trigger(self, store) -> None:
        pass


def times(*indices: float) -> np.ndarray:
    return np.array([T0_NS + round(i * PERIOD_NS) for i in indices], dtype=np.int64)


def test_a_frame_pairs_with_the_latest_x_not_after_it() -> None:
    history = history_of(scalar(0, 10.0), scalar(2, 20.0), scalar(4, 40.0))
    paired = history.as_of(times(0, 1, 2, 3.5, 9))
    assert list(paired.values) == [10.0, 10.0, 20.0, 20.0, 40.0]
    assert paired.unit == sc.Unit("K")


def test_a_frame_before_any_x_has_no_value() -> None:
    history = history_of(scalar(2, 20.0))
    assert np.isnan(history.as_of(times(1)).values[0])


def test_a_late_x_frame_is_sorted_in_by_its_time() -> None:
    # Arrival order 0, 4, then 2 (late): a frame at 3 pairs with the late one.
    history = history_of(scalar(0, 10.0), scalar(4, 40.0), scalar(2, 20.0))
    assert list(history.as_of(times(3, 5)).values) == [20.0, 40.0]


def test_of_x_frames_with_equal_times_the_last_arrived_counts() -> None:
    history = history_of(scalar(1, 10.0), scalar(1, 11.0))
    assert history.as_of(times(1)).values[0] == 11.0


def test_frames_arriving_between_takes_are_all_taken() -> None:
    service = DataService()
    service.register_subscriber(_Keeps("x"))
    history = AsOfHistory("x")
    for index in range(5):
        service["x"] = scalar(index, 10.0 * index)
    history.take(recent_of(service, "x"))
    assert len(history) == 5
    assert list(history.as_of(times(0, 3)).values) == [0.0, 30.0]


def test_recent_frames_since_a_number_are_the_new_ones() -> None:
    service = DataService()
    service.register_subscriber(_Keeps("y"))
    for index in range(3):
        service["y"] = scalar(index)
    frames, _, lost = recent_of(service, "y").since(1)
    assert list(frames.values) == [1.0, 2.0]
    assert lost == 0


def test_a_scalar_divided_keeps_both_variances() -> None:
    y = sc.scalar(4.0, variance=4.0, unit="counts")
    x = sc.scalar(2.0, variance=1.0, unit="uA")
    result = divided(sc.DataArray(y), x)
    assert sc.identical(result.data, y / x)


def test_a_spectrum_is_divided_by_the_values_of_a_divisor_with_variances() -> None:
    # Scipp refuses to broadcast variances: the divisor's values alone divide.
    y = sc.DataArray(sc.array(dims=["tof"], values=[2.0, 4.0], variances=[2.0, 4.0]))
    x = sc.scalar(2.0, variance=1.0, unit="uA")
    result = divided(y, x)
    assert sc.identical(result, y / sc.scalar(2.0, unit="uA"))


def feed(service: DataService, frames: list[tuple[str, sc.DataArray]]) -> None:
    for key, frame in frames:
        service[key] = frame


def monitor(index: int, value: float) -> sc.DataArray:
    return scalar(index, value, unit="uA")


class TestNormalisedPlots:
    """A plot divided by a 0-D key shows what scipp's division of the same
    frames by the monitor's value as of their times gives."""

    def test_a_value_panel_shows_its_frame_over_the_monitor_as_of_it(self) -> None:
        service = DataService()
        plotter = ValuePanel("y")
        plotter.divide_by("m")
        plotter.subscribe(service)
        feed(service, [("m", monitor(0, 2.0)), ("y", scalar(1, 8.0, unit="counts"))])
        feed(service, [("m", monitor(2, 4.0))])
        plotter.draw()
        expected = sc.scalar(8.0, unit="counts") / sc.scalar(2.0, unit="uA")
        assert plotter.text.split(" · ")[1] == f"{expected.value:.4g} {expected.unit}"
        assert "/ m" in plotter.header

    def test_a_spectrum_is_divided_frame_by_frame(self) -> None:
        service = DataService()
        plotter = LinePlotter("y")
        plotter.divide_by("m")
        plotter.subscribe(service)
        frame = spectrum(3)
        frame.variances = frame.values.copy()
        feed(service, [("m", monitor(0, 2.0)), ("m", monitor(2, 5.0)), ("y", frame)])
        plotter.draw()
        expected = frame / sc.scalar(5.0, unit="uA")
        np.testing.assert_array_equal(plotter.source.data["y"], expected.values)
        assert plotter._unit == expected.unit

    def test_a_window_divides_each_frame_by_the_monitor_as_of_its_time(self) -> None:
        service = DataService()
        plotter = SlidingWindowPlotter("y", window_size=10)
        plotter.divide_by("m")
        plotter.subscribe(service)
        frames = [scalar(i, 6.0 * (i + 1), unit="counts") for i in range(4)]
        monitors = [monitor(0, 1.0), monitor(2, 3.0)]
        feed(service, [("m", monitors[0]), ("y", frames[0]), ("y", frames[1])])
        feed(service, [("m", monitors[1]), ("y", frames[2]), ("y", frames[3])])
        plotter.draw()
        divisors = [1.0, 1.0, 3.0, 3.0]
        expected = [
            (frame.data / sc.scalar(d, unit="uA")).value
            for frame, d in zip(frames, divisors, strict=True)
        ]
        assert list(plotter.source.data["value"]) == pytest.approx(expected)

    def test_a_frame_before_any_monitor_value_is_not_drawn(self) -> None:
        service = DataService()
        plotter = ValuePanel("y")
        plotter.divide_by("m")
        plotter.subscribe(service)
        feed(service, [("y", scalar(1, 8.0, unit="counts"))])
        plotter.draw()
        assert "no value of 'm'" in (plotter.failure or "")
