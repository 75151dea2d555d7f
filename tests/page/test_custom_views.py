"""Custom views cost their own card only: errors, time, header and axes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import holoviews as hv
import numpy as np
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import SaveTool

from app.data import DataService
from app.page.custom_views import load_views
from app.plotters import custom
from app.plotters.base import HeaderState
from app.plotters.custom import CustomView, HoloViewsPlotter
from app.plotters.figure_plot import HEADER_COLOURS
from tests.plotters.plotter_frames import T0_NS, spectrum

KEY = "monitor/m1"
DEADLINE_S = 10.0


def histogram(value: Any) -> hv.Histogram:
    return hv.Histogram((np.arange(9.0), np.asarray(value.values)))


def shown(view: Callable[[Any], Any]) -> tuple[HoloViewsPlotter, DataService]:
    """A plot of `view` in a document, subscribed to a service holding one frame."""
    service = DataService()
    plotter = HoloViewsPlotter(KEY, CustomView("test view", view))
    plotter.panel().get_root(Document())
    service[KEY] = spectrum(0)
    plotter.subscribe(service)
    return plotter, service


def draw_until(plotter: HoloViewsPlotter, done: Callable[[], bool]) -> None:
    """Draw frames until `done` (the view runs on another thread)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        plotter.draw()
        if done():
            return
        assert time.monotonic() < deadline, plotter.header
        time.sleep(0.01)  # polling interval, bounded by the deadline


def holoviews_pane(plotter: HoloViewsPlotter) -> pn.pane.HoloViews:
    """The pane of the card that shows the view's element."""
    (pane,) = plotter.panel().select(pn.pane.HoloViews)
    return pane


def drawn(plotter: HoloViewsPlotter) -> Any:
    dynamic_map = holoviews_pane(plotter).object
    return None if dynamic_map is None else dynamic_map.last


def header_colour(plotter: HoloViewsPlotter) -> str:
    return plotter.root.styles["color"]


def test_a_raising_view_is_said_on_its_card_and_draws_again_once_it_returns() -> None:
    fail = threading.Event()
    fail.set()

    def view(value: Any) -> hv.Histogram:
        if fail.is_set():
            raise RuntimeError("no detector geometry")
        return histogram(value)

    plotter, service = shown(view)
    draw_until(plotter, lambda: plotter.failure is not None)
    assert "cannot draw" in plotter.failure
    assert "no detector geometry" in plotter.root.text
    assert plotter.header_state is HeaderState.FAILED
    assert header_colour(plotter) == HEADER_COLOURS[HeaderState.FAILED][0]

    fail.clear()
    service[KEY] = spectrum(1)
    draw_until(plotter, lambda: plotter.failure is None and drawn(plotter) is not None)
    assert isinstance(drawn(plotter), hv.Histogram)
    assert "cannot draw" not in plotter.root.text


def test_a_finished_run_of_the_view_asks_the_session_for_a_frame() -> None:
    asked = threading.Event()
    plotter, _ = shown(histogram)
    plotter.notify_with(asked.set)

    plotter.draw()  # hands the frame to the view, which runs on a worker

    assert asked.wait(DEADLINE_S)


def test_a_view_that_returns_no_element_says_what_it_returned() -> None:
    plotter, _ = shown(lambda value: "a string")
    draw_until(plotter, lambda: plotter.failure is not None)
    assert "returned a str, not a HoloViews element" in plotter.failure


def test_a_view_runs_off_the_calling_thread() -> None:
    threads = []

    def view(value: Any) -> hv.Histogram:
        threads.append(threading.current_thread())
        return histogram(value)

    plotter, _ = shown(view)
    draw_until(plotter, lambda: drawn(plotter) is not None)
    assert threads
    assert threading.current_thread() not in threads


def test_a_slow_view_runs_once_at_a_time_and_its_card_says_slow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(custom, "VIEW_BUDGET_S", 0.05)
    release = threading.Event()
    running, most = [0], [0]
    lock = threading.Lock()

    def view(value: Any) -> hv.Histogram:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(DEADLINE_S)
        time.sleep(0.06)  # over the budget
        with lock:
            running[0] -= 1
        return histogram(value)

    plotter, service = shown(view)
    plotter.draw()
    assert plotter.computing
    for index in range(1, 6):  # frames that arrive while the view runs
        service[KEY] = spectrum(index)
        plotter.draw()
    draw_until(plotter, lambda: "computing for" in plotter.slow)
    release.set()
    draw_until(plotter, lambda: "took" in plotter.slow and not plotter.computing)
    assert most[0] == 1
    assert "drawn at most every 1 s" in plotter.root.text
    # The newest value that waited was drawn; those before it were skipped.
    assert list(drawn(plotter).dimension_values(1)) == list(spectrum(5).values)


def test_the_header_tells_key_age_and_staleness_in_its_colour() -> None:
    plotter, _ = shown(histogram)
    draw_until(plotter, lambda: drawn(plotter) is not None)
    plotter.draw(now_ns=T0_NS + 60_000_000_000)
    assert KEY in plotter.root.text
    assert "stale" in plotter.root.text
    assert header_colour(plotter) == HEADER_COLOURS[HeaderState.STALE][0]


def test_a_view_that_changes_element_type_is_drawn_in_a_new_plot() -> None:
    curve = threading.Event()

    def view(value: Any) -> hv.Element:
        if curve.is_set():
            return hv.Curve(np.asarray(value.values))
        return histogram(value)

    plotter, service = shown(view)
    draw_until(plotter, lambda: isinstance(drawn(plotter), hv.Histogram))
    curve.set()
    service[KEY] = spectrum(1)
    draw_until(plotter, lambda: isinstance(drawn(plotter), hv.Curve))
    assert plotter.failure is None


def test_a_cleared_history_is_drawn_as_the_views_element_of_none() -> None:
    seen = []

    def view(value: Any) -> hv.Histogram:
        seen.append(value)
        return hv.Histogram(([0.0, 1.0], [0])) if value is None else histogram(value)

    plotter, service = shown(view)
    draw_until(plotter, lambda: drawn(plotter) is not None)
    service.clear_history(KEY)
    draw_until(plotter, lambda: seen[-1] is None and not plotter.computing)
    assert list(drawn(plotter).dimension_values(1)) == [0]
    assert plotter.failure is None


def test_plots_of_a_view_do_not_share_axes() -> None:
    plotter = HoloViewsPlotter(KEY, CustomView("test view", histogram))
    assert holoviews_pane(plotter).linked_axes is False


def test_load_views_names_a_module_it_cannot_import() -> None:
    with pytest.raises(ImportError, match=r"--views app\.no_such_views"):
        load_views(["app.no_such_views"])


def test_a_custom_views_saved_image_is_named_after_key_view_and_time() -> None:
    plotter, _ = shown(histogram)
    plotter.file_view = "test view"
    draw_until(plotter, lambda: plotter.failure is None and plotter._shown_ns)
    figure = hv.render(plotter._styled(hv.Histogram(([0.0, 1.0, 2.0], [1, 2]))))
    (save,) = [tool for tool in figure.tools if isinstance(tool, SaveTool)]
    assert save.filename.startswith("monitor-m1_test-view_")
