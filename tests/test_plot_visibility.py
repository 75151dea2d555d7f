"""Plots out of view are drawn once a second; in view, every frame."""

from app.plot_visibility import HIDDEN_REFRESH_FRAMES, HIDDEN_REFRESH_S, PlotVisibility


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_plot_in_view_is_drawn_every_frame_and_out_of_view_once_a_second() -> None:
    clock = Clock()
    visibility = PlotVisibility(lambda: None, clock=clock)
    visibility.model.tags = ["p2"]
    assert visibility.hidden == {"p2"}
    drawn = {"p1": 0, "p2": 0}
    for _ in range(20):  # 5 s of frames at 4 Hz
        visibility.new_frame()
        for plot in drawn:
            drawn[plot] += visibility.due(plot)
        clock.now += 0.25
    assert drawn["p1"] == 20
    assert drawn["p2"] == 5 / HIDDEN_REFRESH_S


def test_a_plot_coming_into_view_asks_for_a_frame_and_is_drawn_in_it() -> None:
    clock = Clock()
    asked = []
    visibility = PlotVisibility(lambda: asked.append(clock.now), clock=clock)
    visibility.model.tags = ["p1", "p2"]
    visibility.new_frame()
    assert visibility.due("p1")  # the first frame out of view
    clock.now += 0.2
    visibility.new_frame()
    assert not visibility.due("p1")
    visibility.model.tags = ["p2"]  # the operator scrolled p1 into view
    assert asked == [clock.now]
    assert visibility.due("p1")
    assert not visibility.is_hidden("p1")


def test_a_page_that_never_reports_has_every_plot_in_view() -> None:
    visibility = PlotVisibility(lambda: None, clock=Clock())
    assert all(visibility.due(plot) for plot in ("p1", "p2", "p1", "p2"))


def test_a_slow_browser_draws_a_plot_out_of_view_once_in_four_frames() -> None:
    clock = Clock()
    visibility = PlotVisibility(lambda: None, clock=clock)
    visibility.model.tags = ["p2"]
    drawn = {"p1": 0, "p2": 0}
    for _ in range(20):  # a frame every 2.5 s: the browser draws slowly
        visibility.new_frame()
        for plot in drawn:
            drawn[plot] += visibility.due(plot)
        clock.now += 2.5
    assert drawn["p1"] == 20
    assert drawn["p2"] == 20 / HIDDEN_REFRESH_FRAMES
