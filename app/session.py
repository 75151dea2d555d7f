"""One browser session: its plotters, its frame callback and its cleanup."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import panel as pn
from bokeh.document import Document
from bokeh.models import Div

from app.data import KeyInfo

from .frame_clock import BEHIND_NOTICE_S, FrameClock, FrameStats
from .ingestion import Ingestion
from .layout import PLOTS_PER_KIND, DashboardGrid, plot_kind, plotters_for
from .limits import MAX_AUTO_PLOTS
from .options import DashboardOptions
from .plotters import Plotter
from .status import StatusLine

logger = logging.getLogger(__name__)

STATUS_PERIOD_NS = 1_000_000_000
"""The status line changes once a second, not every frame: fewer bytes sent."""
FRAMES_NOTE_PERIOD_NS = 10_000_000_000
"""The note on skipped frames changes at most every 10 s: a text that changes
makes the browser lay out the whole page again."""


@dataclass
class _ShownKey:
    """The plots a session shows for one key, and the kind they were made for."""

    kind: str | None
    plotters: list[Plotter]


class DashboardSession:
    """The plots one browser session shows, drawn by the session's own callback.

    Nothing is subscribed or drawn until `start`, called once the browser's
    websocket is connected: a page fetched without a websocket (a health
    probe) costs the build of its document and nothing after.
    """

    def __init__(self, ingestion: Ingestion, options: DashboardOptions) -> None:
        self._ingestion = ingestion
        self._options = options
        self._shown: dict[Hashable, _ShownKey] = {}
        self._catalog_seen: Mapping[Hashable, KeyInfo] | None = None
        self._document: Document | None = None
        self._clock = FrameClock(self.draw_frame, options.frame_period_s)
        self._started = False
        self._status_due_ns = 0
        self._frames_note_due_ns = 0
        self.status = StatusLine()
        self.hidden_keys = Div(text="", name="hidden-keys", width=900)
        self.frames_note = Div(text="", name="frames-note", width=900)
        self.grid = DashboardGrid()
        self.view = pn.Column(
            pn.pane.Markdown("## Live data", margin=(0, 10)),
            pn.pane.Bokeh(self.status.div),
            pn.pane.Bokeh(self.frames_note),
            pn.pane.Bokeh(self.hidden_keys),
            self.grid.view,
            pn.pane.Bokeh(self._clock.view),
        )
        self._sync_keys()

    @property
    def plotters(self) -> tuple[Plotter, ...]:
        """The plots of this session, key by key in the order keys were added."""
        return tuple(p for shown in self._shown.values() for p in shown.plotters)

    def start(self) -> None:
        """Subscribe the plots and start drawing frames (the browser connected)."""
        if self._started:
            return
        self._started = True
        self._document = pn.state.curdoc
        for plotter in self.plotters:
            self._subscribe(plotter)
        self._ingestion.session_opened()
        self._clock.start(self._document)
        self.draw_frame()

    def draw_frame(self) -> None:
        """Draw what changed since the last frame, all in one batch of events."""
        now_ns = time.time_ns()
        with pn.io.hold(self._document):
            self._sync_keys()
            if now_ns >= self._status_due_ns:
                self._status_due_ns = now_ns + STATUS_PERIOD_NS
                self.status.update(self._ingestion.snapshot())
            if now_ns >= self._frames_note_due_ns:
                self._frames_note_due_ns = now_ns + FRAMES_NOTE_PERIOD_NS
                self._show_frames(self._clock.stats)
            for plotter in self.plotters:
                try:
                    plotter.draw(now_ns)
                except Exception:  # one plot must not cost the others their frame
                    logger.exception("key %r: frame failed", plotter.key)
            self._clock.stamp()

    def close(self, session_context: object) -> None:
        """Stop drawing and unregister every plot (the session was destroyed).

        ``session_context`` is Bokeh's, unused; the name is what Bokeh checks.
        """
        for plotter in self.plotters:
            plotter.unsubscribe()
        self._clock.stop()
        if self._started:
            self._started = False
            self._ingestion.session_closed()
            logger.info(
                "session closed: %d sessions, %d subscribers, %d frame clocks remain",
                self._ingestion.sessions,
                self._ingestion.data_service.subscriber_count,
                FrameClock.running,
            )

    def _sync_keys(self) -> None:
        """Add plots for new keys and replace those of keys that changed kind."""
        catalog = self._ingestion.data_service.catalog()
        if catalog is self._catalog_seen:
            return
        self._catalog_seen = catalog
        wanted = self._options.keys or catalog.keys()
        plots = len(self.plotters)
        hidden = 0
        for key in wanted:
            info = catalog.get(key)
            if info is None:
                continue
            kind = plot_kind(info)
            shown = self._shown.get(key)
            if shown is not None:
                if shown.kind != kind:
                    plots += self._replace(key, shown, kind)
                continue
            if plots + PLOTS_PER_KIND[kind] > MAX_AUTO_PLOTS:
                hidden += 1
                continue
            plotters = plotters_for(key, kind, self._options)
            if kind is None:
                logger.info("key %r: no plot for a %s", key, info.kind)
            self._shown[key] = _ShownKey(kind, plotters)
            plots += len(plotters)
            for plotter in plotters:
                self._add(plotter)
        self._show_hidden(hidden)

    def _replace(self, key: Hashable, shown: _ShownKey, kind: str | None) -> int:
        logger.info("key %r: now a %s, was a %s; new plots", key, kind, shown.kind)
        for plotter in shown.plotters:
            plotter.unsubscribe()
            self.grid.remove(plotter)
        removed = len(shown.plotters)
        shown.kind, shown.plotters = kind, plotters_for(key, kind, self._options)
        for plotter in shown.plotters:
            self._add(plotter)
        return len(shown.plotters) - removed

    def _add(self, plotter: Plotter) -> None:
        plotter.on_data = self._clock.request
        self.grid.add(plotter)
        if self._started:
            self._subscribe(plotter)

    def _subscribe(self, plotter: Plotter) -> None:
        try:
            plotter.subscribe(self._ingestion.data_service, replay=True)
        except Exception:  # one key the service cannot serve must not stop the rest
            logger.exception("key %r: cannot subscribe its plot", plotter.key)

    def _show_frames(self, frames: FrameStats) -> None:
        text = ""
        if frames.behind_s >= BEHIND_NOTICE_S:
            text = (
                f"This browser has been behind for {frames.behind_s / 60:.0f} min: "
                f"it shows the newest data but skipped {frames.skipped} frames"
            )
        elif frames.skipped:
            text = f"{frames.skipped} frames skipped while this browser caught up"
        if text != self.frames_note.text:
            self.frames_note.text = text

    def _show_hidden(self, hidden: int) -> None:
        text = (
            ""
            if hidden == 0
            else f"{hidden} more keys not shown: the automatic layout shows at "
            f"most {MAX_AUTO_PLOTS} plots"
        )
        if text != self.hidden_keys.text:
            self.hidden_keys.text = text


def open_session(ingestion: Ingestion, options: DashboardOptions) -> DashboardSession:
    """Build the session of the current Bokeh document and hook it to its lifetime.

    Drawing starts when the browser reports the document ready (its websocket
    is connected), and everything stops when Bokeh destroys the session.
    """
    session = DashboardSession(ingestion, options)
    pn.state.onload(session.start)
    pn.state.on_session_destroyed(session.close)
    return session
