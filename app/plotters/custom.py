"""A custom view and its plotter: an operator's own live plot, from scipp data
to a HoloViews element.

The built-in plots stream into plain Bokeh sources (decision 005). A custom
view trades that economy for brevity: its function turns the extracted value
into a HoloViews element, and the plot shows each new element through a
``Pipe`` stream, which updates the drawn data in place (decision 055)::

    def pixel_histogram(image):
        if image is None:  # the key's history was cleared
            return hv.Histogram((np.array([0.0, 1.0]), np.zeros(1)))
        counts, edges = np.histogram(image.values, bins=50)
        return hv.Histogram((edges, counts))

    register_view("pixel histogram", pixel_histogram, applies_to=is_image)

A view costs its own card only (decision 057): the function runs on a worker
thread, never on the event loop the sessions share; what it raises or returns
that is not a HoloViews element is said on its card, and a view that takes
longer than `VIEW_BUDGET_S` is said to be slow and drawn as often as it can.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import holoviews as hv
import panel as pn
from bokeh.models import LayoutDOM

from app.data import KeyInfo, LatestValueExtractor, UpdateExtractor
from app.page_text import IN_PLACE, text_div
from app.plotters.base import HeaderState, Plotter
from app.plotters.figure_plot import HEADER_COLOURS

logger = logging.getLogger(__name__)

hv.extension("bokeh", logo=False)

VIEW_BUDGET_S = 1.0
"""A view whose function takes longer is slow: its card says so."""

VIEW_WORKERS = 1
"""Threads per server process that run the views' functions, for every session.

One: a view in pure Python holds the GIL, and each thread that does takes
a share of the event loop's time (measured in decision 057)."""

DRAWABLE = (hv.Element, hv.Overlay, hv.NdOverlay)
"""What a view's function may return: one plot's worth of HoloViews."""


@dataclass(frozen=True)
class CustomView:
    """A named way to plot keys: which keys, what to extract, how to draw it.

    Parameters
    ----------
    name:
        What the operator picks; also the ``view`` of a layout file.
    element:
        From the extracted value to a HoloViews element; called with ``None``
        when the key's history was cleared. It runs on a worker thread.
    extractor:
        Makes the extractor of each plot (the latest value by default).
    applies_to:
        Which keys the view is offered for, from key and `KeyInfo`.
    """

    name: str
    element: Callable[[Any], hv.Element]
    extractor: Callable[[], UpdateExtractor] = LatestValueExtractor
    applies_to: Callable[[Hashable, KeyInfo], bool] = lambda key, info: True


_workers: ThreadPoolExecutor | None = None


def _worker_pool() -> ThreadPoolExecutor:
    """The process's view threads, made on first use (after any fork)."""
    global _workers
    if _workers is None:
        _workers = ThreadPoolExecutor(VIEW_WORKERS, thread_name_prefix="custom-view")
    return _workers


@dataclass(frozen=True)
class _Computed:
    """One run of a view's function: its value, its element or error, its time."""

    value: Any
    element: Any
    error: Exception | None
    took_s: float


def _compute(view: CustomView, value: Any) -> _Computed:
    """Run `view`'s function on `value` (a worker thread); never raises."""
    start = time.perf_counter()
    element, error = None, None
    try:
        element = view.element(value)
        if not isinstance(element, DRAWABLE):
            raise TypeError(
                f"view {view.name!r} returned a {type(element).__name__}, "
                "not a HoloViews element"
            )
    except Exception as failure:  # the view's own fault, said on its card
        error = failure
    return _Computed(value, element, error, time.perf_counter() - start)


class HoloViewsPlotter(Plotter):
    """A key drawn by a custom view's HoloViews function, one element per frame.

    The function runs on a worker thread, one run per plot at a time; the
    session's frame shows the newest finished element (decision 057). A new
    value that arrives while a run is in flight waits; the values before it
    are skipped.
    """

    def __init__(self, key: Hashable, view: CustomView, **params: Any) -> None:
        super().__init__(key, **params)
        self.view = view
        self._pipe: hv.streams.Pipe | None = None
        self._element_type: type | None = None
        self._running: Future[_Computed] | None = None
        self._started_s = 0.0
        self._waiting: tuple[Any] | None = None
        self._error: Exception | None = None
        self._slow = ""
        self._header_text = ""
        self._header_state = HeaderState.LIVE
        # Drawn once the first element is computed. Unlinked: HoloViews would
        # share the axes of every plot whose dimensions have the same names.
        self._holoviews = pn.pane.HoloViews(
            None, backend="bokeh", linked_axes=False, width=self.width
        )

    def make_extractor(self) -> UpdateExtractor:
        return self.view.extractor()

    @property
    def computing(self) -> bool:
        """Whether the view's function is running on a worker thread now."""
        return self._running is not None

    @property
    def slow(self) -> str:
        """What the card says about the view's time; empty while it is quick."""
        return self._slow

    def draw(self, now_ns: int | None = None) -> bool:
        """Show the newest finished element, then hand new data to the view."""
        self._take_finished()
        drawn = super().draw(now_ns)
        self._note_running()
        return drawn

    def _styled(self, data: Any) -> Any:
        # HoloViews passes the Pipe's element by the stream's name, ``data``.
        # Its hooks run with each drawing: the view's own first, then ours,
        # which names the toolbar's saved image (decision 093).
        hooks = [*data.opts.get().kwargs.get("hooks", []), self._name_png]
        return data.opts(
            framewise=True, width=self.width, height=self.height, title="", hooks=hooks
        )

    def _name_png(self, plot: Any, element: Any) -> None:
        self.name_saved_image(plot.state.tools)

    def _build(self) -> LayoutDOM:
        self._div = text_div(
            self.label,
            name=f"custom:{self.view.name}:{self.label}",
            css_classes=["plot-key"],
            sizing_mode="stretch_width",
            styles={"font-weight": "bold", "padding": "2px 4px"},
            tags=[IN_PLACE],  # its text and colours change, as a plot's header
        )
        return self._div

    def header_model(self) -> LayoutDOM:
        # The header (key, unit, age, view, its time) is the card's header line.
        return self.root

    def _layout(self, pane: pn.pane.Bokeh) -> pn.viewable.Viewable:
        return self._holoviews

    def _show(self, value: Any) -> None:
        self._unit = getattr(value, "unit", None)  # for the header, as other plots
        self._compute_soon(value)
        if self._error is not None:
            # The last run failed and none since succeeded: the card says so.
            raise self._error.with_traceback(None)

    def _clear_view(self) -> None:
        self._compute_soon(None)

    def _compute_soon(self, value: Any) -> None:
        if self._running is not None:
            self._waiting = (value,)  # a newer value replaces one that waited
            return
        self._started_s = time.monotonic()
        self._running = _worker_pool().submit(_compute, self.view, value)
        self._running.add_done_callback(self._finished)

    def _finished(self, future: Future[_Computed]) -> None:
        # A worker thread: only wake the session's frame (thread-safe).
        self._wants_frame()

    def _take_finished(self) -> None:
        """In the frame: draw a finished run's element, start the waiting value."""
        running = self._running
        if running is None or not running.done():
            return
        self._running = None
        computed = running.result()
        self._note_time(computed.took_s)
        if computed.error is None:
            try:
                self._draw_element(computed.element)
            except Exception as error:  # HoloViews could not plot it
                self._element_type = None  # the next element gets a new plot
                computed = _Computed(computed.value, None, error, computed.took_s)
        if computed.error is None:
            self._error = None
            if self._failure is not None:
                logger.info("key %r: view %r draws again", self.key, self.view.name)
                self._failure = None
        else:
            self._error = computed.error
            self._failed(computed.value, computed.error)
        if self._waiting is not None:
            (value,), self._waiting = self._waiting, None
            self._compute_soon(value)

    def _draw_element(self, element: Any) -> None:
        if type(element) is self._element_type and self._pipe is not None:
            self._pipe.send(element)
            return
        if self._element_type is not None:
            logger.info(
                "key %r: view %r now returns a %s, was a %s; new plot",
                self.key,
                self.view.name,
                type(element).__name__,
                self._element_type.__name__,
            )
        # The first element, or one of another type, which the plot drawn
        # so far cannot show (decision 058): a plot of its own.
        self._element_type = type(element)
        self._pipe = hv.streams.Pipe(data=element)
        self._holoviews.object = hv.DynamicMap(self._styled, streams=[self._pipe])

    def _note_time(self, took_s: float) -> None:
        slow = ""
        if took_s > VIEW_BUDGET_S:
            every = max(1, round(took_s))
            slow = f"slow: took {took_s:.1f} s; drawn at most every {every} s"
        self._set_slow(slow)

    def _note_running(self) -> None:
        """A run past the budget is said before it ends (it may never end)."""
        if self._running is None:
            return
        running_s = time.monotonic() - self._started_s
        if running_s > VIEW_BUDGET_S and (
            not self._slow or self._slow.startswith("slow: computing")
        ):
            self._set_slow(f"slow: computing for {running_s:.0f} s")

    def _set_slow(self, slow: str) -> None:
        if slow != self._slow:
            self._slow = slow
            self._render_header()

    def _set_header(self, text: str, state: HeaderState) -> None:
        self._header_text, self._header_state = text, state
        self._render_header()

    def _render_header(self) -> None:
        parts = [self._header_text, self.view.name]
        if self._slow:
            parts.append(self._slow)
        state = self._header_state
        if self._slow and state is HeaderState.LIVE:
            state = HeaderState.STALE  # amber: the view lags its data
        colour, background = HEADER_COLOURS[state]
        self._div.update(
            text=" · ".join(parts),
            styles={
                "font-weight": "bold",
                "padding": "2px 4px",
                "color": colour,
                "background-color": background or "transparent",
            },
        )
