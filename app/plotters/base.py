"""Plotter: a DataService subscriber that records in ``trigger`` and draws later.

``trigger`` runs on the ingestion thread while the DataService lock is held, so
it only keeps the newest extracted value. ``draw`` runs in the browser
session's own periodic callback, the only place that touches the session's
Bokeh document (docs/design.md, "Threads").
"""

from __future__ import annotations

import itertools
import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Hashable, Iterable, Mapping
from enum import Enum
from typing import Any

import panel as pn
import param
import scipp as sc
from bokeh.models import (
    ColorBar,
    ColorMapper,
    ColumnDataSource,
    DataRange1d,
    LayoutDOM,
    SaveTool,
)
from bokeh.plotting import figure

from app.alarm_limits import AlarmLimits
from app.audit import REFUSED, audit_log
from app.data import DataService, LatestValueExtractor, UpdateExtractor
from app.durations import coarse_duration
from app.plotters.as_of import AsOfKey
from app.plotters.clears import Clear, clear_of, record_clear
from app.plotters.columns import newest_time_ns, unit_label
from app.plotters.data_out import file_stem
from app.plotters.shared import drop_unseen_glyphs, share_figure
from app.roles import CLEAR_HISTORY, may
from app.staleness import stale_after_ns

logger = logging.getLogger(__name__)

TOOLS = "pan,wheel_zoom,box_zoom,reset,save"

ARRIVALS_KEPT = 16
"""Times of newest data kept per plot to know its usual interval between frames."""


class HeaderState(Enum):
    """What the header's colour tells the operator, most urgent last."""

    LIVE = "live"
    PAUSED = "paused"
    STALE = "stale"
    FAILED = "failed"


def format_age(seconds: float) -> str:
    """Return how old the newest data is, coarse enough not to change every frame."""
    return f"age {coarse_duration(seconds)}"


def image_source(name: str) -> ColumnDataSource:
    """An empty source for one Bokeh image: the array and where it lies."""
    return ColumnDataSource(
        data={"image": [], "x": [], "y": [], "dw": [], "dh": []}, name=name
    )


def draw_image(fig: figure, source: ColumnDataSource, mapper: ColorMapper) -> Any:
    """Draw the images of `source` (see `image_source`) on `fig`; their renderer."""
    return drop_unseen_glyphs(
        fig.image(
            image="image",
            x="x",
            y="y",
            dw="dw",
            dh="dh",
            source=source,
            color_mapper=mapper,
        )
    )


def add_image(fig: figure, source: ColumnDataSource, mapper: ColorMapper) -> ColorBar:
    """Draw `source` (see `image_source`) on `fig`, with a colour bar on the right."""
    draw_image(fig, source, mapper)
    # Close to the data: the colour bar's default margins take 40 px of room.
    color_bar = ColorBar(color_mapper=mapper, title="", margin=4, padding=4, width=12)
    fig.add_layout(color_bar, "right")
    return color_bar


class Plotter(param.Parameterized):
    """Base of every plot: one key, one extractor, one Bokeh root per session.

    Subclasses build their Bokeh model in ``_build`` (or in steps, in
    ``_build_steps``) and show a scipp value in ``_show``; the base handles
    subscription, hand-over between threads and the header (key, unit and age
    of the newest data).
    """

    key = param.Parameter(
        default="", constant=True, doc="DataService key shown (any hashable)."
    )
    renderer = param.Selector(
        default="canvas",
        objects=["canvas", "webgl"],
        doc="Bokeh output backend; WebGL costs much browser CPU without a GPU.",
    )
    width = param.Integer(default=440, bounds=(150, None))
    height = param.Integer(default=300, bounds=(100, None))
    paused = param.Boolean(
        default=False,
        doc="Stop drawing; data keeps arriving and is shown at once on resume.",
    )

    fills_card = False
    """Whether the drawing follows its card's size (else the card fits it)."""

    def __init__(self, key: Hashable, **params: Any) -> None:
        super().__init__(key=key, **params)
        self._lock = threading.Lock()
        self._failure: str | None = None
        # What wakes the session's frame (`notify_with`); called from any thread.
        self._notify: Callable[[], None] | None = None
        # Set by the session: the key publishes on change, so its quiet is
        # not stale while its source is connected (decision 076).
        self.on_change = False
        self._pending: Any = None
        self._has_pending = False
        self._cleared = False
        # Who emptied the key, said until new data is drawn.
        self._clear: Clear | None = None
        self._received_ns: int | None = None
        self._newest_ns: int | None = None
        # The newest time of what is drawn: older than `_newest_ns` while paused.
        self._shown_ns: int | None = None
        self._named: tuple[str, int | None] | None = None
        self._arrivals: deque[int] = deque(maxlen=ARRIVALS_KEPT)
        self._peeked_ns: int | None = None
        self._stale = False
        self._now_ns = 0
        self._unit: sc.Unit | None = None
        self._last_value: Any = None
        # Why the newest frame draws nothing ("all values NaN"), for the header.
        self._note = ""
        # What the plot says of its reference frame (decision 094), if any.
        self._reference_note = ""
        self._header = ""
        self._age_text = "no data yet"
        self._data_service: DataService | None = None
        # Divides each frame by a 0-D key as of its time (`divide_by`).
        self._normaliser: AsOfKey | None = None
        # The view its files are named after (decision 093); the session says.
        self.file_view = "latest"
        self._root: LayoutDOM | None = None
        self._building: Generator[None, None, LayoutDOM] | None = None
        self._pane: pn.pane.Bokeh | None = None

    # The subscriber protocol -------------------------------------------------
    @property
    def keys(self) -> set[str]:
        """The keys this plot depends on."""
        return set(self.extractors)

    @property
    def extractors(self) -> dict[str, UpdateExtractor]:
        """How this plot wants to see its keys' buffers."""
        extractors = {self.key: self.make_extractor()}
        if self._normaliser is not None:
            extractors[self._normaliser.key] = self._normaliser.extractor
        return extractors

    def divide_by(self, key: Hashable) -> None:
        """Show each frame divided by the 0-D `key` as of the frame's time
        (decision 090); set before subscribing."""
        self._normaliser = AsOfKey(key)

    @property
    def divisor(self) -> Hashable | None:
        """The key each frame is divided by, or None."""
        return None if self._normaliser is None else self._normaliser.key

    def make_extractor(self) -> UpdateExtractor:
        """Return the extractor; the latest value unless a subclass needs more."""
        return LatestValueExtractor()

    def trigger(self, store: Mapping[Hashable, Any]) -> None:
        """Keep the newest store holding this key; drawing waits for the frame.

        The store's values are extracted when first read (lazily, in `draw`),
        and a key whose history was cleared is in the store's ``cleared``.
        """
        if self._normaliser is not None:
            self._normaliser.take(store)
        cleared = self.key in getattr(store, "cleared", ())
        if not cleared and self.key not in store:
            return
        clear = clear_of(self.key, time.time_ns()) if cleared else None
        with self._lock:
            if cleared:
                self._clear = clear
            self._pending = None if cleared else store
            self._has_pending = not cleared
            self._cleared = cleared
            self._received_ns = time.time_ns()
        self._wants_frame()

    # Subscription ------------------------------------------------------------
    def notify_with(self, callback: Callable[[], None] | None) -> None:
        """Call `callback` whenever this plot has something new to draw.

        Data arrived, a custom view's run finished, or the plot resumed: the
        session then asks for a frame. `callback` runs on whichever thread
        noticed (the ingestion thread, a worker), so it must only schedule;
        None stops the calls.
        """
        self._notify = callback

    def _wants_frame(self) -> None:
        """Tell the session (`notify_with`) that a frame would draw something new."""
        notify = self._notify
        if notify is not None:
            notify()

    def subscribe(self, data_service: DataService, *, replay: bool = True) -> None:
        """Register with ``data_service``; ``replay`` hands over current data now."""
        self._data_service = data_service
        data_service.register_subscriber(self, replay=replay)

    def show_limits(self, limits: AlarmLimits | None) -> None:
        """Draw a 0-D key's alarm limits (None: none); plots that cannot
        draw them ignore them (decision 095)."""

    def clear_history(self) -> bool:
        """Drop the key's history in the DataService; every plot of it shows no data.

        An operator's action (decision 080): refused, audited and without
        effect for a viewer, whatever the page sent. Returns whether it was done.
        """
        permission = may(CLEAR_HISTORY)
        if not permission.allowed:
            audit_log().record(permission.who, CLEAR_HISTORY, self.key, REFUSED)
            return False
        if self._data_service is None:
            return False
        # Recorded first: the clear tells every plot of the key at once.
        who = permission.who
        record_clear(self.key, who, time.time_ns())
        try:
            self._data_service.clear_history(self.key)
        except KeyError:
            logger.info("key %r: no history to clear", self.key)
            return False
        audit_log().record(who, CLEAR_HISTORY, self.key)
        return True

    def unsubscribe(self) -> None:
        """Unregister from the DataService this plot subscribed to, if any."""
        if self._data_service is not None:
            self._data_service.unregister_subscriber(self)
            self._data_service = None

    # Drawing, only from the session's callback -------------------------------
    @property
    def has_pending(self) -> bool:
        """Whether data arrived since the last frame."""
        with self._lock:
            return self._has_pending

    def name_saved_image(self, tools: Iterable[Any]) -> None:
        """Name the saved image of a toolbar's ``tools`` after key, view and
        the newest data's second (decision 093), not Bokeh's "bokeh_plot":
        changed when that second changes, at most once a second."""
        shown_ns = self._shown_ns
        named = (self.file_view, None if shown_ns is None else shown_ns // 10**9)
        if named == self._named:
            return
        self._named = named
        stem = file_stem(self.key, self.file_view, shown_ns)
        for tool in tools:
            if isinstance(tool, SaveTool):
                tool.filename = stem

    def draw(self, now_ns: int | None = None) -> bool:
        """Show data that arrived since the last frame and refresh the header.

        A paused plot leaves what arrived pending (the newest extraction, so
        a window still holds every frame up to n) and only tells its age.

        Returns
        -------
        :
            Whether new data was drawn.
        """
        paused = self.paused
        with self._lock:
            store, has_value = self._pending, self._has_pending
            received_ns = self._received_ns
            cleared, self._cleared = self._cleared, False
            if not paused:
                self._pending, self._has_pending = None, False
        self._now_ns = time.time_ns() if now_ns is None else now_ns
        self._ensure_root()
        if cleared:
            self._forget()
        value = store[self.key] if has_value else None
        if has_value and paused:
            if received_ns != self._peeked_ns:
                self._peeked_ns = received_ns
                self._note_newest(self._time_of(value) or received_ns)
            has_value = False
        elif has_value:
            try:
                value = self._divided(value)
                self._show(value)
            except Exception as error:
                self._failed(value, error)
            else:
                self._note_newest(self._time_of(value) or received_ns)
                self._shown_ns = self._newest_ns
                self._clear = None
                self._last_value = value
                if self._failure is not None:
                    logger.info("key %r: drawing again", self.key)
                    self._failure = None
        self._refresh_header(self._now_ns)
        return has_value

    def panel(self) -> pn.viewable.Viewable:
        """Return the Panel object of this plot (built once per plotter)."""
        self._ensure_root()
        if self._pane is None:
            self._pane = pn.pane.Bokeh(self._root, **self._pane_sizing())
        return self._layout(self._pane)

    def header_model(self) -> LayoutDOM | None:
        """The card's header text (key, unit, extent, age), if this plot has one
        apart from its drawing; None: the card names the key itself."""
        return None

    def header_controls(self) -> list[LayoutDOM]:
        """Controls one click away, in the card's header (pause), as Bokeh's
        models (decision 064)."""
        return []

    def settings(self) -> list[pn.viewable.Viewable]:
        """This plot's settings, built when the card's settings first open."""
        return []

    @property
    def card_class(self) -> str:
        """A CSS class naming this plot's card; empty for none."""
        return ""

    @property
    def label(self) -> str:
        """The key as people read it, for titles and names."""
        return str(self.key)

    @property
    def shown(self) -> Any:
        """What the plot shows now: the extraction it last drew (the latest
        frame, the window, the aggregate), None before any or after a clear.

        A paused plot's stays what is drawn. Data out takes it from here.
        """
        return self._last_value

    @property
    def shown_ns(self) -> int | None:
        """The time of the newest data shown, in ns since the epoch."""
        return self._shown_ns

    @property
    def failure(self) -> str | None:
        """Why the latest data could not be drawn, or None."""
        return self._failure

    @property
    def root(self) -> LayoutDOM:
        """The Bokeh model drawn into, built once per plotter."""
        self._ensure_root()
        return self._root

    @property
    def built(self) -> bool:
        """Whether the Bokeh model drawn into is made."""
        return self._root is not None

    def build_step(self) -> bool:
        """Take the next step of making the Bokeh model drawn into; return
        whether it is made. A served page makes a figure a step a turn of the
        server's loop: a whole one held it up to 65 ms (decision 064)."""
        if self._root is None:
            if self._building is None:
                self._building = self._build_steps()
            try:
                next(self._building)
            except StopIteration as made:
                self._building = None
                self._root = made.value
                self._built()
            except BaseException:
                self._building = None  # made anew, from its first step
                raise
        return self._root is not None

    @property
    def header(self) -> str:
        """The header text currently shown: key, unit and age."""
        return self._header

    @property
    def stale(self) -> bool:
        """Whether the newest data is older than max(5 s, 5 usual intervals).

        Computed in `draw` from this plot's own arrivals, for the page's status.
        """
        return self._stale

    @property
    def stale_after_ns(self) -> int:
        """How old the newest data may get before this plot is stale."""
        times = list(self._arrivals)
        usual = (
            statistics.median(b - a for a, b in itertools.pairwise(times))
            if len(times) >= 2
            else None
        )
        return int(stale_after_ns(usual))

    @property
    def age_text(self) -> str:
        """How old the newest data is, as shown in the header."""
        return self._age_text

    # Hooks -------------------------------------------------------------------
    def _build(self) -> LayoutDOM:
        raise NotImplementedError

    def _built(self) -> None:
        """Called once the Bokeh model drawn into is made."""

    def _build_steps(self) -> Generator[None, None, LayoutDOM]:
        """Make the Bokeh model drawn into, a step up to each ``yield`` (a
        figure, then its glyphs); returns the model. One step: ``_build``."""
        return self._build()
        yield  # a generator, of one step

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _set_header(self, text: str, state: HeaderState) -> None:
        raise NotImplementedError

    def _layout(self, pane: pn.pane.Bokeh) -> pn.viewable.Viewable:
        """Wrap the pane with what else this plot shows; nothing by default."""
        return pane

    def _pane_sizing(self) -> dict[str, Any]:
        """How the pane of the drawing is sized: fixed, unless the plot follows
        its card (`app.page.card`)."""
        return {}

    def _clear_view(self) -> None:
        """Show no data (the key's history was cleared)."""
        raise NotImplementedError

    def _extent_label(self) -> str:
        """What part of the history is shown, if not just the latest value."""
        return ""

    def _divided(self, value: Any) -> Any:
        """`value` divided by the key of `divide_by`, if any (decision 090)."""
        if self._normaliser is None:
            return value
        return self._normaliser.divide(value)

    def _failed(self, value: Any, error: Exception) -> None:
        failure = f"cannot draw {type(value).__name__}: {error}"
        # Logged once per state, not once per frame: a key that keeps sending
        # what this plot cannot show must not flood the log.
        if failure != self._failure:
            logger.error("key %r: %s", self.key, failure, exc_info=error)
        self._failure = failure

    def _forget(self) -> None:
        self._clear_view()
        self._last_value = None
        self._newest_ns = None
        self._shown_ns = None
        self._failure = None
        self._arrivals.clear()
        self._note = ""
        self._age_text = "no data"

    def _note_newest(self, newest_ns: int | None) -> None:
        if newest_ns is None:
            return
        self._newest_ns = newest_ns
        if not self._arrivals or newest_ns > self._arrivals[-1]:
            self._arrivals.append(newest_ns)

    def _time_of(self, value: Any) -> int | None:
        return newest_time_ns(value) if isinstance(value, sc.DataArray) else None

    # Helpers for subclasses --------------------------------------------------
    def _figure(self, **kwargs: Any) -> figure:
        # The figure follows its card's size; the card's header names it, and
        # the tools show over the data when the mouse is there: the data get
        # the room a title and a toolbar would take.
        fig = figure(
            width=self.width,
            height=self.height,
            sizing_mode="stretch_both",
            output_backend=self.renderer,
            tools=TOOLS,
            toolbar_location="right",
            toolbar_inner=True,
            title=None,
            **kwargs,
        )
        fig.toolbar.autohide = True
        for axis in fig.axis:
            axis.update(axis_label_standoff=2, axis_label_text_font_size="12px")
        # Ranges the browser fits to the data would be sent back to the server
        # after every frame, which nobody here reads.
        for axis_range in (fig.x_range, fig.y_range):
            if isinstance(axis_range, DataRange1d):
                axis_range.syncable = False
        share_figure(fig)
        return fig

    def _ensure_root(self) -> None:
        while not self.build_step():
            pass

    def _refresh_header(self, now_ns: int) -> None:
        parts = [self.label]
        if self._normaliser is not None:
            parts.append(f"/ {self._normaliser.key}")
        if self._last_value is not None:
            parts.append(f"[{unit_label(self._unit)}]")
        if self._extent_label():
            parts.append(f"· {self._extent_label()}")
        if self._note:
            parts.append(f"· {self._note}")
        if self._reference_note:
            parts.append(f"· {self._reference_note}")
        if self.paused:
            parts.append("· paused")
        self._stale = False
        if self._shown_ns is not None:
            # The age of what the plot shows: a paused plot's data grows old.
            self._age_text = format_age(max(0, now_ns - self._shown_ns) / 1e9)
        elif self._clear is not None:
            self._age_text = f"no data · {self._clear.describe(now_ns)}"
        if self._newest_ns is not None:
            # Stale judges what arrives, shown or pending behind a pause.
            age_ns = max(0, now_ns - self._newest_ns)
            self._stale = not self.on_change and age_ns > self.stale_after_ns
        if self._stale:
            parts.append("· stale")
        parts.append(f"· {self._age_text}")
        if self._failure is not None:
            parts.append(f"· {self._failure}")
        text = " ".join(parts)
        if text != self._header:
            self._header = text
            self._set_header(text, self.header_state)

    @property
    def header_state(self) -> HeaderState:
        """The most urgent thing the header's colour says."""
        if self._failure is not None:
            return HeaderState.FAILED
        if self._stale:
            return HeaderState.STALE
        if self.paused:
            return HeaderState.PAUSED
        return HeaderState.LIVE
