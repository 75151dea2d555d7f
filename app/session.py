"""One browser session: its plotters, its frame callback and its cleanup."""

from __future__ import annotations

import logging
import time

import panel as pn
from bokeh.document import Document

from .ingestion import Ingestion
from .layout import DashboardGrid, plotters_for
from .options import DashboardOptions
from .plotters import Plotter
from .status import StatusLine

logger = logging.getLogger(__name__)

STATUS_PERIOD_NS = 1_000_000_000
"""The status line changes once a second, not every frame: fewer bytes sent."""


class DashboardSession:
    """The plots one browser session shows, drawn by the session's own callback.

    Nothing is subscribed or drawn until `start`, called once the browser's
    websocket is connected: a page fetched without a websocket (a health
    probe) costs the build of its document and nothing after.
    """

    def __init__(self, ingestion: Ingestion, options: DashboardOptions) -> None:
        self._ingestion = ingestion
        self._options = options
        self._plotters: list[Plotter] = []
        self._keys_shown: set[str] = set()
        self._document: Document | None = None
        self._callback: pn.io.PeriodicCallback | None = None
        self._started = False
        self._status_due_ns = 0
        self.status = StatusLine()
        self.grid = DashboardGrid()
        self.view = pn.Column(
            pn.pane.Markdown("## Live data", margin=(0, 10)),
            pn.pane.Bokeh(self.status.div),
            self.grid.view,
        )
        self._add_new_keys()

    @property
    def plotters(self) -> tuple[Plotter, ...]:
        """The plots of this session, in the order they were added."""
        return tuple(self._plotters)

    def start(self) -> None:
        """Subscribe the plots and start drawing frames (the browser connected)."""
        if self._started:
            return
        self._started = True
        self._document = pn.state.curdoc
        for plotter in self._plotters:
            plotter.subscribe(self._ingestion.data_service, replay=True)
        self._ingestion.session_opened()
        self._callback = pn.state.add_periodic_callback(
            self.draw_frame, period=round(self._options.frame_period_s * 1000)
        )
        self.draw_frame()

    def draw_frame(self) -> None:
        """Draw what changed since the last frame, all in one batch of events."""
        now_ns = time.time_ns()
        with pn.io.hold(self._document):
            self._add_new_keys()
            if now_ns >= self._status_due_ns:
                self._status_due_ns = now_ns + STATUS_PERIOD_NS
                self.status.update(self._ingestion.snapshot())
            for plotter in self._plotters:
                plotter.draw(now_ns)

    def close(self, session_context: object) -> None:
        """Stop drawing and unregister every plot (the session was destroyed).

        ``session_context`` is Bokeh's, unused; the name is what Bokeh checks.
        """
        if self._callback is not None:
            self._callback.stop()
            self._callback = None
        for plotter in self._plotters:
            plotter.unsubscribe()
        if self._started:
            self._started = False
            self._ingestion.session_closed()

    def _add_new_keys(self) -> None:
        data_service = self._ingestion.data_service
        wanted = self._options.keys or tuple(data_service)
        for key in wanted:
            if key in self._keys_shown or key not in data_service:
                continue
            self._keys_shown.add(key)
            for plotter in plotters_for(key, data_service[key], self._options):
                self._plotters.append(plotter)
                self.grid.add(plotter)
                if self._started:
                    plotter.subscribe(data_service, replay=True)


def open_session(ingestion: Ingestion, options: DashboardOptions) -> DashboardSession:
    """Build the session of the current Bokeh document and hook it to its lifetime.

    Drawing starts when the browser reports the document ready (its websocket
    is connected), and everything stops when Bokeh destroys the session.
    """
    session = DashboardSession(ingestion, options)
    pn.state.onload(session.start)
    pn.state.on_session_destroyed(session.close)
    return session
