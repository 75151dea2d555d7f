"""Plots out of view are drawn once a second; in view, every frame. The page
reports the plots in view: p1 alone here, unless a test says otherwise."""

from collections.abc import Iterable

from app.page.plot_visibility import (
    HIDDEN_REFRESH_FRAMES,
    HIDDEN_REFRESH_S,
    HIDDEN_SHARE_S,
    PlotVisibility,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def hidden(visibility: PlotVisibility, plots: Iterable[str]) -> int:
    """How many of `plots` are out of view, as the session counts them."""
    return sum(visibility.is_hidden(plot) for plot in plots)


def draws(
    visibility: PlotVisibility, clock: Clock, frames: int, every_s: float
) -> dict[str, int]:
    """How often p1 and p2 are drawn in `frames` frames, one every `every_s`."""
    drawn = {"p1": 0, "p2": 0}
    for _ in range(frames):
        visibility.new_frame(hidden(visibility, drawn))
        for plot in drawn:
            drawn[plot] += visibility.due(plot)
        clock.now += every_s
    return drawn


def test_a_plot_in_view_is_drawn_every_frame_and_out_of_view_once_a_second() -> None:
    clock = Clock()
    visibility = PlotVisibility(lambda: None, clock=clock)
    visibility.model.tags = ["p1"]
    assert visibility.is_hidden("p2")
    assert not visibility.is_hidden("p1")
    drawn = draws(visibility, clock, 20, 0.25)  # 5 s of frames at 4 Hz
    assert drawn["p1"] == 20
    assert drawn["p2"] == 5 / HIDDEN_REFRESH_S


def test_a_plot_coming_into_view_asks_for_a_frame_and_is_drawn_in_it() -> None:
    clock = Clock()
    asked = []
    visibility = PlotVisibility(lambda: asked.append(clock.now), clock=clock)
    visibility.model.tags = []
    visibility.new_frame(2)
    assert visibility.due("p1")  # the first frame out of view
    clock.now += 0.2
    visibility.new_frame(2)
    assert not visibility.due("p1")
    visibility.model.tags = ["p1"]  # the operator scrolled p1 into view
    assert asked == [clock.now]
    assert visibility.due("p1")
    assert not visibility.is_hidden("p1")


def test_a_page_that_never_reports_has_every_plot_in_view() -> None:
    visibility = PlotVisibility(lambda: None, clock=Clock())
    assert all(visibility.due(plot) for plot in ("p1", "p2", "p1", "p2"))


def test_a_plot_the_page_has_not_named_yet_is_out_of_view() -> None:
    # A browser that is still building a large page reports the plots it
    # built; the others cannot be seen, and a frame drawing them all every
    # few seconds while it caught up held the server's loop 45-68 ms.
    clock = Clock()
    asked = []
    visibility = PlotVisibility(lambda: asked.append(clock.now), clock=clock)
    visibility.model.tags = ["p1"]  # p2 not built yet
    drawn = draws(visibility, clock, 20, 0.25)
    assert drawn == {"p1": 20, "p2": 5 / HIDDEN_REFRESH_S}
    assert asked == []  # the first report comes into view of nothing new
    visibility.model.tags = ["p1", "p2"]  # built, and in view
    assert asked == [clock.now]
    assert not visibility.is_hidden("p2")


def test_a_slow_browser_draws_a_plot_out_of_view_once_in_four_frames() -> None:
    clock = Clock()
    visibility = PlotVisibility(lambda: None, clock=clock)
    visibility.model.tags = ["p1"]
    drawn = draws(visibility, clock, 20, 2.5)  # the browser draws slowly
    assert drawn["p1"] == 20
    assert drawn["p2"] == 20 / HIDDEN_REFRESH_FRAMES


def frames_drawn(
    visibility: PlotVisibility,
    clock: Clock,
    plots: list[str],
    frames: int,
    every_s: float,
    each_s: float = 0.0,
) -> list[list[str]]:
    """The plots drawn in each of `frames` frames, one every `every_s`, each
    plot drawn taking `each_s`."""
    drawn = []
    for _ in range(frames):
        visibility.new_frame(hidden(visibility, plots))
        due = []
        for plot in plots:
            if visibility.due(plot):
                due.append(plot)
                clock.now += each_s
        drawn.append(due)
        clock.now += every_s
    return drawn


def test_plots_out_of_view_are_spread_over_frames_not_drawn_together() -> None:
    # Scrolled away together, 20 plots would all come due in one frame each
    # second (decision 061): a frame of every plot held the server's loop.
    clock = Clock()
    visibility = PlotVisibility(lambda: None, clock=clock)
    plots = [f"p{i}" for i in range(20)]
    visibility.model.tags = []
    per_frame = frames_drawn(visibility, clock, plots, 25, 0.2)  # 5 s at 5 Hz
    share = -(-len(plots) // HIDDEN_REFRESH_FRAMES)
    assert max(len(due) for due in per_frame) <= share
    # Each still drawn about once a second: 5 s, the first frame included.
    drawn = {plot: sum(plot in due for due in per_frame) for plot in plots}
    assert all(4 <= count <= 6 for count in drawn.values()), drawn


def test_plots_out_of_view_stop_for_the_frame_once_their_share_is_spent() -> None:
    # After seconds without a frame each plot has seconds of data to take in:
    # a frame of them held the server's loop 45-62 ms (decision 061).
    clock = Clock()
    visibility = PlotVisibility(lambda: None, clock=clock)
    plots = [f"p{i}" for i in range(40)]
    visibility.model.tags = []
    # Each plot drawn takes 0.4 of the share.
    per_frame = frames_drawn(visibility, clock, plots, 3, 1.0, HIDDEN_SHARE_S * 0.4)
    assert [len(due) for due in per_frame] == [3, 3, 3]
    # In view, a plot is drawn however long the others took.
    visibility.model.tags = ["p39"]
    visibility.new_frame(hidden(visibility, plots))
    for plot in plots[:10]:
        visibility.due(plot)
        clock.now += HIDDEN_SHARE_S
    assert visibility.due("p39")
