"""One browser session: its layout of plots, its frame callback and its cleanup."""

from __future__ import annotations

import io
import logging
import time
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace

import panel as pn
from bokeh.document import Document
from bokeh.models import Column as BokehColumn

from app.audit import audit_log
from app.data import KeyInfo
from app.ingestion.alarms import AlarmsView
from app.ingestion.process import Ingestion
from app.limits import MAX_AUTO_PLOTS, MAX_LAYOUT_PLOTS, MAX_LAYOUT_URL_CHARS
from app.options import DashboardOptions
from app.page.access import AccessBox
from app.page.alarm_card import AlarmCards
from app.page.alarm_list import AlarmList
from app.page.bokehjs_patches import IN_PLACE
from app.page.card import CardActions, CardPlot, PlotCard
from app.page.collector import PAGES, PageCollector
from app.page.custom_views import custom_views
from app.page.frame_clock import BEHIND_NOTICE_S, FrameClock, FrameStats
from app.page.grid import DashboardGrid
from app.page.growing import growing
from app.page.in_document import soon_in
from app.page.key_browser import KeyBrowser
from app.page.layout_file import Layout, LayoutError, parse_stored_layout
from app.page.page_facts import page_facts
from app.page.pairing import carried
from app.page.plot_visibility import PlotVisibility
from app.page.references import ReferenceError, ReferenceStore
from app.page.regions import edit_regions, regions_of_keys
from app.page.status import (
    FRAMES_SKIPPED,
    StatusLine,
    StatusPill,
    health,
    merged_losses,
)
from app.page.views import PagePlot, plot_for, view_choices, views_for
from app.page_text import text_div
from app.plot_spec import PLOTS_PER_KIND, PlotSpec, automatic_specs, plot_kind, spec_for
from app.plotters import Plotter

logger = logging.getLogger(__name__)

STATUS_PERIOD_NS = 1_000_000_000
"""The status, the pill and the key browser change once a second, not every frame."""

STATUS_PERIOD_BEHIND_NS = 5_000_000_000
"""While the browser is behind, they change once in 5 s: each changed text makes
the browser lay its page out again, time a slow browser lacks for the plots."""

FRAMES_NOTE_PERIOD_NS = 10_000_000_000
"""The note on skipped frames changes at most every 10 s: a text that changes
makes the browser lay out the whole page again."""

BUILD_SLICE_S = 0.03
"""A slice of a page's build aims at this much work on the server's event loop:
every other session and request waits for a slice to end (decision 064). A
slice makes or places at least one plot, whatever it costs."""

PLOTS_PER_SLICE = 8
"""Most plots one slice builds, however cheap the plots before were."""

STEPS_REMEMBERED = 4
"""A slice is sized by the costliest of this many latest steps of each kind."""


@dataclass(eq=False)
class _Plot:
    """One plot on the page: what it shows, its plotter and its card."""

    spec: PlotSpec
    kind: str | None
    plotter: Plotter
    row: str
    card: PlotCard

    @property
    def model_id(self) -> str:
        """The id of the plot's Bokeh root, as the page names it."""
        return self.plotter.root.id


def _settings(plotter: Plotter) -> dict[str, object]:
    """What the operator set of a plot (range, log), to keep when a reference
    comes or goes; not the pause: the new plot shows the live data at once."""
    return {
        name: value
        for name, value in plotter.param.values().items()
        if name not in ("name", "paused")
        and not plotter.param[name].constant
        and not plotter.param[name].readonly
    }


class DashboardSession:
    """The plots one browser session shows, drawn by the session's own callback.

    Without a `layout` the session follows the catalog (decision 008); with
    one, it shows that layout's plots as their keys appear. Any change the
    operator makes turns the layout into a fixed one, which the page keeps
    (decision 054); "Default layout" returns to `default` (automatic if None).

    Nothing is subscribed or drawn until `start`, called once the browser's
    websocket is connected: a page fetched without a websocket (a health
    probe) costs the build of its document and nothing after.

    Parameters
    ----------
    ingestion:
        The process's ingestion, whose keys the session shows.
    options:
        The dashboard's options.
    layout:
        The plots to show; None follows the catalog.
    default:
        What "Default layout" returns to; None is the automatic layout.
    message:
        Said on the page from the start (a layout that could not be read).
    clock_ns:
        This host's time in ns since the epoch, read once a frame for ages,
        staleness and the status's period; replaceable in tests.
    frame_clock:
        Makes the session's `FrameClock` from its draw callback and frame
        period; replaceable in tests.
    """

    def __init__(
        self,
        ingestion: Ingestion,
        options: DashboardOptions,
        *,
        layout: Layout | None = None,
        default: Layout | None = None,
        message: str = "",
        clock_ns: Callable[[], int] = time.time_ns,
        frame_clock: Callable[..., FrameClock] = FrameClock,
    ) -> None:
        self._ingestion = ingestion
        self._clock_ns = clock_ns
        self._remembered_ns = round(options.losses_remembered_s * 1e9)
        self._facts = page_facts(ingestion, self._remembered_ns)
        self._options = options
        self._default = default
        self._references = ReferenceStore(options.state_dir)
        self._automatic = layout is None
        self._wanted: list[PlotSpec] = [] if layout is None else list(layout.plots)
        self._plots: dict[PlotSpec, _Plot] = {}
        self._auto_keys: dict[Hashable, str | None] = {}
        self._catalog_seen: Mapping[Hashable, KeyInfo] | None = None
        self._document: Document | None = None
        # Served, the process's collector freezes the page as it places cards.
        self._collector: PageCollector | None = None
        # Served, the page goes out without plots; they are built in slices once
        # the browser connected (decision 064). Without a document (tests,
        # benchmarks) they are built at once.
        self._deferred = pn.state.curdoc is not None
        self._slice_due = False
        # Between a build's first slice and its page shown in the browser.
        self._opening = False
        self._slice_plots = 1
        # Seconds the latest steps of each kind took: a step of making a
        # plot's figure, making its card (or all of it) and placing the card.
        # The costliest of the latest few sizes a slice: a figure of an image
        # costs twice one of a line.
        self._step_s: dict[str, deque[float]] = {
            kind: deque(maxlen=STEPS_REMEMBERED) for kind in ("figure", "card", "place")
        }
        self._unbuilt: dict[PlotSpec, KeyInfo] = {}  # retried if the key changes
        # Served, a plot is made in turns: its plotter and its figure, a step
        # a turn, then its card (decision 064); those whose card is to make.
        self._figures: dict[PlotSpec, tuple[PagePlot, KeyInfo]] = {}
        self._clock = frame_clock(
            self.draw_frame,
            options.frame_period_s,
            fast_period_s=options.fast_frame_period_s,
        )
        self.visibility = PlotVisibility(self._clock.request)
        self._started = False
        self._status_due_ns = 0
        self._frames_note_due_ns = 0
        self.status = StatusLine(width=280)
        self.pill = StatusPill(self._remembered_ns)
        # Each note takes a line only while it says something: empty, the
        # notes made a blank band above the plots.
        self.hidden_keys = text_div(name="hidden-keys", width=900, visible=False)
        self.frames_note = text_div(
            name="frames-note", width=900, tags=[IN_PLACE], visible=False
        )
        self.message = text_div(
            message, name="layout-message", width=900, visible=bool(message)
        )
        # What the message says: the start's, plots that cannot be shown, and
        # a layout too long for a link (decision 073).
        self._start_message = message
        self._refused: dict[PlotSpec, str] = {}
        self._too_long = ""
        # Why the operator's last action was refused, while the page says it.
        self._action_note = ""
        # Shown only while plots are being built: empty, it would still take a line.
        self.progress = text_div(name="build-progress", width=900, visible=False)
        # The layout as the URL and this browser keep it; "" for the default.
        self.layout_state = text_div(name="layout-state", visible=False)
        # Where the browser hands back a stored layout too long for the URL.
        self.stored_layout = text_div(name="stored-layout", visible=False)
        self.stored_layout.on_change(
            "text",
            lambda attr, old, new: self.soon(lambda: self.use_stored_layout(new)),
        )
        # Set once drawing starts: the browser then restores its stored layout.
        self.connected = text_div(name="connected", visible=False)
        self.grid = DashboardGrid()
        self.access = AccessBox(audit_log(), no_sign_in=options.no_sign_in)
        # Made with their part of the sidebar: served, after the browser
        # connected (see `_sidebar_later` below).
        self.browser: KeyBrowser | None = None
        self.alarm_list: AlarmList | None = None
        self.alarm_cards = AlarmCards(ingestion.alarms, audit_log(), self.soon)
        self._alarms_shown = ingestion.alarms.view
        self._health_inputs: tuple[tuple[Hashable, ...], dict[str, int]] | None = None
        notes = (
            self.message,
            self.progress,
            self.hidden_keys,
            self.frames_note,
            self._clock.view,
            self.visibility.model,
            self.layout_state,
            self.stored_layout,
            self.connected,
        )
        # One pane for all: a Panel pane each cost the page's request 2 ms.
        self.view = pn.Column(
            pn.pane.Bokeh(
                BokehColumn(children=list(notes), sizing_mode="stretch_width"),
                margin=0,
                sizing_mode="stretch_width",
            ),
            self.grid.view,
            sizing_mode="stretch_width",
        )
        later: tuple[Callable[[], pn.viewable.Viewable], ...] = (
            self._make_alarm_list,
            self._make_key_browser,
            lambda: pn.pane.Markdown("### Layout", margin=(0, 10)),
            self._make_download,
            self._make_reset,
            self.access.make_view,
        )
        # Served, the page's request carries what says how things stand; the
        # sidebar's lists and buttons are made and added once the browser
        # connected, one a turn, like the plots: making and adding them was
        # over half of the request's time, in which no other session drew
        # (decision 064).
        self._sidebar_later = list(later) if self._deferred else []
        # A part made in one turn, added to the page in the next.
        self._sidebar_made: pn.viewable.Viewable | None = None
        # How things stand, in one pane: a Panel pane each cost the page's
        # request 2 ms.
        standing = BokehColumn(
            children=[self.access.warning, self.pill.div, self.status.div],
            sizing_mode="stretch_width",
        )
        self.sidebar = pn.Column(
            pn.pane.Bokeh(standing, sizing_mode="stretch_width"),
            *(() if self._deferred else (make() for make in later)),
            sizing_mode="stretch_width",
        )
        if message:
            logger.warning("%s", message)
        self._sync_keys()
        self._layout_changed()

    def _make_alarm_list(self) -> pn.viewable.Viewable:
        """The sidebar's list of alarms, showing the process's alarms now."""
        self.alarm_list = AlarmList(self._ingestion.alarms, audit_log(), self.soon)
        self._list_alarms(self._alarms_shown)
        return self.alarm_list.view

    def _unlisted(self) -> bool:
        """Whether the key browser was made without its list of keys (added
        to the page first: `_next_slice` adds a made part before this)."""
        return self.browser is not None and not self.browser.listed

    def _make_key_browser(self) -> pn.viewable.Viewable:
        """The sidebar's key browser, listing the catalog now."""
        self.browser = KeyBrowser(
            self._ingestion.data_service.catalog,
            self._ingestion.activity,
            self.add_plot,
            tuple(custom_views()),
            schedule=self.soon,
            details=self._facts.key_details,
            # Served, its list joins it a turn after it: both together held
            # the loop 49-64 ms while a browser shared the cores.
            listed=not self._deferred,
        )
        return self.browser.view

    def _make_download(self) -> pn.viewable.Viewable:
        """The button that saves the page's layout as a file."""
        return pn.widgets.FileDownload(
            callback=self._layout_file,
            filename="dashboard-layout.json",
            label="Download layout",
            css_classes=["layout-download"],
            sizing_mode="stretch_width",
        )

    def _make_reset(self) -> pn.viewable.Viewable:
        """The button that returns the page to the default layout."""
        reset = pn.widgets.Button(
            label="Default layout",
            css_classes=["layout-reset"],
            sizing_mode="stretch_width",
        )
        reset.on_click(lambda event: self.soon(self.use_default_layout))
        return reset

    @property
    def plotters(self) -> tuple[Plotter, ...]:
        """The plots of this session, in the order they were added."""
        return tuple(plot.plotter for plot in self._plots.values())

    @property
    def layout(self) -> Layout:
        """The plots shown now, as a layout file would name them."""
        return Layout(tuple(self._plots))

    @property
    def automatic(self) -> bool:
        """Whether the page follows the catalog (no layout chosen)."""
        return self._automatic

    def start(self) -> None:
        """Subscribe the plots and start drawing frames (the browser connected)."""
        if self._started:
            return
        self._started = True
        self._document = pn.state.curdoc
        if getattr(self._document, "session_context", None) is not None:
            self._collector = PAGES  # a served page, not a test's document
        for plotter in self.plotters:
            self._subscribe(plotter)
        self._ingestion.session_opened()
        self._clock.start(self._document)
        self.connected.text = "connected"
        self._build()
        self.draw_frame()

    def draw_frame(self) -> None:
        """Draw what changed since the last frame, all in one batch of events."""
        now_ns = self._clock_ns()
        with pn.io.hold(self._document):
            self._sync_keys()
            if now_ns >= self._status_due_ns:
                behind = self._clock.stats.behind_s > 0
                period_ns = STATUS_PERIOD_BEHIND_NS if behind else STATUS_PERIOD_NS
                self._status_due_ns = now_ns + period_ns
                self._update_status(now_ns)
            elif self._ingestion.alarms.view is not self._alarms_shown:
                # An alarm shows at the next frame, not at the next status.
                self._show_alarms()
            if now_ns >= self._frames_note_due_ns:
                self._frames_note_due_ns = now_ns + FRAMES_NOTE_PERIOD_NS
                self._show_frames(self._clock.stats)
            visibility = self.visibility
            in_view: list[_Plot] = []
            out_of_view: list[_Plot] = []
            for plot in self._plots.values():
                hidden = visibility.is_hidden(plot.model_id)
                (out_of_view if hidden else in_view).append(plot)
            visibility.new_frame(len(out_of_view))
            # Those in view first: the ones out of view get what time is left
            # of their share (decision 061).
            for plot in (*in_view, *out_of_view):
                # Out of view, a plot is drawn once a second (decision 061).
                if not visibility.due(plot.model_id):
                    continue
                try:
                    plot.plotter.draw(now_ns)
                except Exception:  # one plot must not cost the others their frame
                    logger.exception("key %r: frame failed", plot.spec.key)
            self._clock.stamp()
        self._say_if_built()

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
            if self._collector is not None:
                self._collector.closed(id(self))
            logger.info(
                "session closed: %d sessions, %d subscribers, %d frame clocks remain",
                self._ingestion.sessions,
                self._ingestion.data_service.subscriber_count,
                FrameClock.running,
            )

    # What the operator does --------------------------------------------------
    def soon(self, action: Callable[[], None]) -> None:
        """Run an operator's action as a callback of this session's document."""
        soon_in(self._document, action)

    def add_plot(self, key: Hashable, view: str) -> None:
        """Add a plot of `key` in `view` (the key's first view if it has no such)."""
        info = self._ingestion.data_service.catalog().get(key)
        if info is not None and view not in views_for(key, info):
            view = (views_for(key, info) or (view,))[0]
        spec = spec_for(key, view, self._options.window_size)
        if spec in self._wanted:
            return
        if len(self._wanted) >= MAX_LAYOUT_PLOTS:
            self._action_note = (
                f"{key}: not added, a page shows at most {MAX_LAYOUT_PLOTS} plots"
            )
            self._show_message()
            return
        self._fix_layout()
        self._wanted.append(spec)
        self._build()
        self._layout_changed()

    def remove_plot(self, spec: PlotSpec) -> None:
        """Take a plot off the page."""
        self._fix_layout()
        self._wanted.remove(spec)
        self._figures.pop(spec, None)
        plot = self._plots.pop(spec, None)
        if plot is not None:
            plot.plotter.unsubscribe()
            self.grid.remove(plot)
        self._layout_changed()

    def change_view(self, spec: PlotSpec, view: str) -> None:
        """Show a plot's key in another view, in the same place, with its
        pairings where the view has them; the reference stays with the view it
        was kept in (decisions 090, 094)."""
        new = carried(spec, spec_for(spec.key, view, self._options.window_size))
        self.replace_plot(spec, new)

    def keep_reference(self, spec: PlotSpec) -> None:
        """Pin the frame a plot draws now as its reference (decision 094).

        This page's, like its layout (decision 080): it changes this page's
        plot, kept in the state directory and named in the layout.
        """
        plot = self._plots.get(spec)
        if plot is None:
            return
        frame = getattr(plot.plotter, "reference_frame", lambda: None)()
        if frame is None:
            self._action_note = f"{spec.key}: no frame to keep as reference yet"
            self._show_message()
            return
        try:
            name = self._references.keep(frame)
        except ReferenceError as error:
            self._action_note = f"{spec.key}: {error}"
            self._show_message()
            return
        self.replace_plot(spec, replace(spec, reference=name))

    def drop_reference(self, spec: PlotSpec) -> None:
        """Show a plot without its reference (the kept frame stays for others)."""
        self.replace_plot(spec, replace(spec, reference=None))

    def replace_plot(self, spec: PlotSpec, new: PlotSpec) -> None:
        """Show `new` in the place of `spec`'s plot (another view, pairing or
        reference)."""
        plot = self._plots.get(spec)
        if new == spec or new in self._wanted or plot is None:
            return
        info = self._ingestion.data_service.catalog().get(spec.key)
        self._fix_layout()
        self._wanted[self._wanted.index(spec)] = new
        plot.plotter.unsubscribe()
        replacement = self._make_plot(new, info)
        if replacement is not None and replace(new, reference=spec.reference) == spec:
            # The same plot with or without a reference: the operator's
            # range and log stay.
            replacement.plotter.param.update(**_settings(plot.plotter))
        del self._plots[spec]
        self._reorder()
        if replacement is None:
            self.grid.remove(plot)
        elif self.grid.row_of(plot) == replacement.row:
            self.grid.replace(plot, replacement, replacement.card.view)
        else:
            # Another row: there it takes its place in the layout's order.
            self.grid.remove(plot)
            self._place(replacement)
        self._layout_changed()

    def _choose_view(
        self, spec: PlotSpec, choose: pn.widgets.Select, view: str
    ) -> None:
        """A card's menu chose `view`: show it there, unless another card does.

        The menu then returns to the card's own view, and the page says why:
        a menu must never name a view its card does not show.
        """
        new = carried(spec, spec_for(spec.key, view, self._options.window_size))
        if view == spec.view:
            return  # the menu's own return, or no change
        if new in self._wanted:
            self._action_note = f"{spec.key} is already shown as {new.describe()}"
            self._show_message()
            choose.value = spec.view
            return
        if self._action_note:
            self._action_note = ""
            self._show_message()
        self.change_view(spec, view)

    def use_default_layout(self) -> None:
        """Drop the operator's changes: the layout file's plots, or automatic."""
        self._show_layout(self._default)
        self._set_layout_state("")

    def use_stored_layout(self, text: str) -> None:
        """Show the layout this browser kept because a link could not carry it."""
        if not text:
            return
        try:
            layout = parse_stored_layout(text, tuple(custom_views()))
        except LayoutError as error:
            self._start_message = f"this browser's stored {error}"
            self._show_message()
            return
        self._show_layout(layout)
        self._layout_changed()

    def _show_layout(self, layout: Layout | None) -> None:
        """Show `layout`'s plots instead of the page's; automatic if None."""
        for plot in self._plots.values():
            plot.plotter.unsubscribe()
            self.grid.remove(plot)
        self._plots.clear()
        self._auto_keys.clear()
        self._refused.clear()
        self._unbuilt.clear()
        self._figures.clear()
        self._automatic = layout is None
        self._wanted = [] if layout is None else list(layout.plots)
        self._catalog_seen = None
        self._sync_keys()
        self._show_message()

    # Following the catalog ---------------------------------------------------
    def _sync_keys(self) -> None:
        """Add plots for new keys and replace those of keys that changed kind."""
        catalog = self._ingestion.data_service.catalog()
        if catalog is self._catalog_seen:
            return
        self._catalog_seen = catalog
        self._drop_changed_kinds(catalog)
        if self._automatic:
            self._follow_catalog(catalog)
        self._build()

    def _drop_changed_kinds(self, catalog: Mapping[Hashable, KeyInfo]) -> None:
        for spec, plot in list(self._plots.items()):
            info = catalog.get(spec.key)
            kind = None if info is None else plot_kind(info)
            if info is None or kind == plot.kind:
                continue
            logger.info(
                "key %r: now a %s, was a %s; new plots", spec.key, kind, plot.kind
            )
            plot.plotter.unsubscribe()
            self.grid.remove(plot)
            del self._plots[spec]
            if self._automatic:
                self._wanted.remove(spec)
                self._auto_keys.pop(spec.key, None)

    def _follow_catalog(self, catalog: Mapping[Hashable, KeyInfo]) -> None:
        # By group and name, as the key browser lists them: which keys fit
        # under the cap, and the order of their cards, do not depend on the
        # order in which keys arrived.
        wanted = self._options.keys or self._facts.key_details.sorted_keys(catalog)
        plots = len(self._wanted)
        hidden = 0
        for key in wanted:
            info = catalog.get(key)
            if info is None or key in self._auto_keys:
                continue
            kind = plot_kind(info)
            if plots + PLOTS_PER_KIND[kind] > MAX_AUTO_PLOTS:
                hidden += 1
                continue
            if kind is None:
                logger.info("key %r: no plot for a %s", key, info.kind)
            self._auto_keys[key] = kind
            specs = automatic_specs(key, info, self._options.window_size)
            self._wanted.extend(specs)
            plots += len(specs)
        # A key that arrives later takes its place among the shown keys.
        place = {key: index for index, key in enumerate(wanted)}
        self._wanted.sort(key=lambda spec: place.get(spec.key, len(place)))
        self._show_hidden(hidden)

    def _build(self) -> None:
        """Build the wanted plots not built yet (decision 064).

        Without a document, at once. Served, none before the browser connects
        (the page it fetches stays small), then in slices, each a callback of
        the session's document: other sessions and requests run between them.
        """
        if not self._deferred:
            while self._build_slice(PLOTS_PER_SLICE):
                pass
        elif (
            self._started
            and not self._slice_due
            and (
                self._sidebar_later
                or self._sidebar_made is not None
                or self._unlisted()
                or self._pending()
                or self._unplaced()
            )
        ):
            self._slice_due = True
            if self._collector is not None and not self._opening:
                self._opening = True
                self._collector.building(id(self))  # no sweep meanwhile (108)
            self.soon(self._next_slice)
        self._show_progress()

    def _next_slice(self) -> None:
        """Add the sidebar's part made, else list the key browser's keys (a
        turn after the browser), else make the next of its later parts, else
        place the plots made, else make some pending plots: making a part
        or a plot and its joining the page (its Panel models, its message) each
        cost about half of it, so neither waits for the other in one turn of
        the loop (decision 064)."""
        self._slice_due = False
        if not self._started:
            return  # closed meanwhile
        began = time.perf_counter()
        if self._sidebar_made is not None:
            part, self._sidebar_made = self._sidebar_made, None
            self._grow(lambda: self.sidebar.append(part))
        elif self._unlisted():
            self._grow(self.browser.refresh)
        elif self._sidebar_later:
            # Not in the document yet: its models send nothing.
            with pn.io.hold(self._document):
                self._sidebar_made = self._sidebar_later.pop(0)()
        elif unplaced := self._unplaced()[: self._slice_plots]:
            if missing := [p.row for p in unplaced if p.row not in self.grid.rows]:
                # A row in a turn of its own: with the first card in it, the
                # turn held the loop 35-63 ms, twice a card's (decision 064).
                self._grow(lambda: self.grid.row(missing[0]))
            else:
                self._place_slice(unplaced, began)
        else:
            # Not in the document yet: the plots' models send nothing.
            with pn.io.hold(self._document):
                self._make_slice(self._slice_plots)
        # The costliest kind of step sizes the slices: a step of a figure
        # costs about twice a card.
        if all(self._step_s.values()):
            # One step a turn until every kind was measured: a card's cost
            # alone would size the next figure's slice too large.
            step_s = max(max(steps) for steps in self._step_s.values())
            fit = int(BUILD_SLICE_S / step_s)
            self._slice_plots = max(1, min(PLOTS_PER_SLICE, fit))
        self._build()
        self._say_if_built()

    def _say_if_built(self) -> None:
        """Tell the collector the page is built once no slice is due and the
        browser built what it was sent: a sweep may run (decision 108)."""
        if (
            self._opening
            and not self._slice_due
            and not self._clock.browser_building
            and self._collector is not None
        ):
            self._opening = False
            self._collector.done(id(self))

    def _build_slice(self, plots: int) -> int:
        """Make and place up to `plots` of the pending plots, in the layout's
        order; return how many were tried (0: nothing is pending)."""
        tried = self._make_slice(plots)
        self._place_cards(self._unplaced())
        return tried

    def _make_slice(self, plots: int) -> int:
        """Take up to `plots` steps of making the pending plots, in the
        layout's order, to be placed on the page later; return how many were
        taken. Served, a plot's figure is one step and its card the next: the
        figure is about two thirds of a plot's making (decision 064)."""
        pending = self._pending()
        wanted = {spec for spec, _ in pending}
        for spec in [spec for spec in self._figures if spec not in wanted]:
            del self._figures[spec]  # removed, or its key changed kind
        tried = 0
        for spec, info in pending[:plots]:
            tried += 1
            began = time.perf_counter()
            figure_step = self._deferred and self._make_figure(spec, info)
            if not figure_step and self._make_plot(spec, info) is None:
                self._unbuilt[spec] = info
            kind = "figure" if figure_step else "card"
            self._step_s[kind].append(time.perf_counter() - began)
        if tried:
            self._reorder()
        return tried

    def _make_figure(self, spec: PlotSpec, info: KeyInfo) -> bool:
        """Take the next step of making `spec`'s plotter and its figure, its
        card left to a later step; False where no step is left, or it cannot
        be made (the card's step says why)."""
        made = self._figures.get(spec)
        if made is not None and (made[1] != info or made[0].plotter.built):
            return False
        try:
            if made is None:
                page_plot = plot_for(spec, info, self._options)
                plotter = page_plot.plotter
                # Before the figure, which draws the reference (decision 094).
                self._use_reference(spec, plotter)
                # Files and the toolbar's PNG are named after the view (093).
                plotter.file_view = spec.view
                self._figures[spec] = (page_plot, info)
            else:
                page_plot = made[0]
            page_plot.plotter.build_step()
        except Exception:  # the whole plot is made again, and fails there
            self._figures.pop(spec, None)
            return False
        return True

    def _place_slice(self, plots: list[_Plot], began: float) -> None:
        """Place the cards of `plots` in a slice that began at `began`."""
        self._grow(lambda: self._place_cards(plots))
        self._step_s["place"].append((time.perf_counter() - began) / len(plots))
        if self._collector is not None:
            # Placed cards live as long as the session: frozen now, the
            # collector's passes during the rest of the build do not walk
            # them again and again (decision 102).
            self._collector.built(id(self), len(self._plots))

    def _place_cards(self, plots: list[_Plot]) -> None:
        for plot in plots:
            self._place(plot)
        self._show_progress()

    def _unplaced(self) -> list[_Plot]:
        """The plots made whose cards are not on the page yet."""
        return [plot for plot in self._plots.values() if self.grid.row_of(plot) is None]

    def _pending(self) -> list[tuple[PlotSpec, KeyInfo]]:
        """The wanted plots not built whose key is there, in the layout's order."""
        catalog = self._ingestion.data_service.catalog()
        pending = []
        for spec in self._wanted:
            info = catalog.get(spec.key)
            # A plot whose key has not arrived is shown once it does.
            if spec in self._plots or info is None or self._unbuilt.get(spec) == info:
                continue
            pending.append((spec, info))
        return pending

    def _show_progress(self) -> None:
        """Say how many of the page's plots are on it, while it is built."""
        text = ""
        if self._deferred:
            unplaced = len(self._unplaced())
            left = len(self._pending()) + unplaced
            if left:
                placed = len(self._plots) - unplaced
                text = f"building plots: {placed} of {placed + left}"
        if text != self.progress.text:
            self.progress.update(text=text, visible=bool(text))

    def _make_plot(self, spec: PlotSpec, info: KeyInfo | None) -> _Plot | None:
        if info is None:
            return None
        made = self._figures.pop(spec, None)
        figure_made = made is not None and made[1] == info
        try:
            page_plot = made[0] if figure_made else plot_for(spec, info, self._options)
        except ValueError as error:
            # Said on the page, not dropped in silence: the layout asked for it.
            note = f"{error}: not shown"
            if self._refused.get(spec) != note:
                self._refused[spec] = note
                logger.warning("%s", note)
                self._show_message()
            return None
        if self._refused.pop(spec, None) is not None:
            self._show_message()
        plotter = page_plot.plotter
        if not figure_made:
            self._use_reference(spec, plotter)
        card = self._card(spec, info, plotter)
        plot = _Plot(spec, page_plot.kind, plotter, page_plot.row, card)
        self._plots[spec] = plot
        plotter.notify_with(self._data_arrived(plot.model_id))
        if self._started:
            self._subscribe(plotter)
        return plot

    def _use_reference(self, spec: PlotSpec, plotter: Plotter) -> None:
        """Hand the plot its layout's reference, or the reason it has none."""
        use = getattr(plotter, "use_reference", None)
        if spec.reference is None or use is None:
            return
        try:
            use(self._references.load(spec.reference))
        except ReferenceError as error:
            logger.warning("key %r: %s", spec.key, error)
            use(None, f"{error}: shown without it")

    def _place(self, plot: _Plot) -> None:
        """Put a plot's card in its row, among that row's cards in the layout's
        order: a reload (which builds the layout's order) shows the same page."""
        row = plot.row
        order = {spec: index for index, spec in enumerate(self._wanted)}
        rank = order.get(plot.spec, len(order))
        before = sum(
            1
            for other in self._plots.values()
            if other is not plot
            and self.grid.row_of(other) == row
            and order.get(other.spec, len(order)) < rank
        )
        self.grid.add(plot, row, plot.card.view, before)
        self._clock.grew()

    def _reorder(self) -> None:
        self._plots = {
            spec: self._plots[spec] for spec in self._wanted if spec in self._plots
        }

    def _card(self, spec: PlotSpec, info: KeyInfo, plotter: Plotter) -> PlotCard:
        def view_menu() -> pn.widgets.Select:
            labels = view_choices(spec, info, self._options.window_size)
            choose = pn.widgets.Select(
                options=labels, value=spec.view, width=200, css_classes=["plot-view"]
            )
            choose.param.watch(
                lambda event: self.soon(
                    lambda: self._choose_view(spec, choose, event.new)
                ),
                "value",
            )
            return choose

        actions = CardActions(
            replace=lambda new: self.soon(lambda: self.replace_plot(spec, new)),
            keep_reference=lambda: self.soon(lambda: self.keep_reference(spec)),
            drop_reference=lambda: self.soon(lambda: self.drop_reference(spec)),
            catalog=self._ingestion.data_service.catalog,
        )
        # Files and the toolbar's PNG are named after the view (decision 093).
        plotter.file_view = spec.view
        # An image's regions of interest, drawn over its figure (decision 089).
        regions = edit_regions(plotter, self._options.state_dir)
        card = PlotCard(
            CardPlot(spec, info, plotter, actions),
            view_menu=view_menu,
            remove=lambda: self.remove_plot(spec),
            schedule=self._grow_soon,
            controls=() if regions is None else (regions.toggle,),
        )
        # A 0-D key's card shows its alarm and edits its limits (decision 095).
        self.alarm_cards.card(spec, info, plotter, card)
        return card

    def _grow_soon(self, action: Callable[[], None]) -> None:
        """`soon`, for an action that may add models (a card's settings)."""
        self.soon(lambda: self._grow(action))

    def _grow(self, action: Callable[[], None]) -> None:
        """Run an action that adds models to the page in one hold: Bokeh finds
        them from what changed, not by a walk of the whole page (decision
        068). Found before the hold ends, they go out in full once, in its
        message: found after it, they would count as unsent and go out in
        full again with the next message."""
        with pn.io.hold(self._document), growing(self._document):
            action()

    def _fix_layout(self) -> None:
        if self._automatic:
            self._automatic = False
            self._show_hidden(0)

    def _layout_changed(self) -> None:
        self._set_layout_state(self.layout_url())

    def _set_layout_state(self, text: str) -> None:
        """Hand the layout to the page, which keeps it in the URL and this browser.

        A layout too long for a link stays in this browser only (decision 073).
        """
        self.layout_state.text = text
        self._too_long = (
            ""
            if len(text) <= MAX_LAYOUT_URL_CHARS
            else f"this layout is too long to share by link ({len(text):,} "
            f"characters, a link carries {MAX_LAYOUT_URL_CHARS:,}): this browser "
            "keeps it; use Download layout to share it"
        )
        self._show_message()

    def _show_message(self) -> None:
        """Say what of the layout could not be done, in one line."""
        refused = [note for spec, note in self._refused.items() if spec in self._wanted]
        parts = [self._start_message, self._too_long, *refused, self._action_note]
        text = " · ".join(part for part in parts if part)
        if text != self.message.text:
            self.message.update(text=text, visible=bool(text))

    def layout_url(self) -> str:
        """The layout as the URL keeps it; empty while it is the default."""
        if self._automatic or (
            self._default is not None and tuple(self._wanted) == self._default.plots
        ):
            return ""
        return Layout(tuple(self._wanted)).to_url()

    def _layout_file(self) -> io.StringIO:
        keys = (spec.key for spec in self._wanted)
        regions = regions_of_keys(keys, self._options.state_dir)
        return io.StringIO(Layout(tuple(self._wanted), regions).to_json())

    def _data_arrived(self, model_id: str) -> Callable[[], None]:
        """What a plot calls when data arrives (any thread): a frame, unless
        the plot is out of view (a frame comes within a second anyway)."""

        def arrived() -> None:
            if not self.visibility.is_hidden(model_id):
                self._clock.request()

        return arrived

    def _subscribe(self, plotter: Plotter) -> None:
        try:
            plotter.subscribe(self._ingestion.data_service, replay=True)
        except Exception:  # one key the service cannot serve must not stop the rest
            logger.exception("key %r: cannot subscribe its plot", plotter.key)

    def _update_status(self, now_ns: int) -> None:
        # The process-wide facts are read once per period for every session
        # (decision 082); this session applies them to its own plots.
        facts = self._facts.at(now_ns)
        self.status.show(facts.status_text)
        on_change = facts.on_change
        for plot in self._plots.values():
            plot.plotter.on_change = plot.spec.key in on_change
        stale = tuple(
            dict.fromkeys(
                plot.spec.key
                for plot in self._plots.values()
                if facts.stale(plot.spec.key)
            )
        )
        skipped = self._clock.stats.skipped
        frames_lost = self.pill.losses.recent(
            facts.snapshot.at_ns, {FRAMES_SKIPPED: skipped} if skipped else {}
        )
        self._health_inputs = (stale, merged_losses(facts.lost, frames_lost))
        self._show_alarms()
        if self.browser is not None:
            self.browser.refresh(now_ns)
        self.access.refresh(now_ns)

    def _list_alarms(self, alarms: AlarmsView) -> None:
        """Show `alarms` in the sidebar's list, once it is made."""
        if self.alarm_list is not None:
            self.alarm_list.refresh(alarms, self._facts.alarm_text(alarms))

    def _show_alarms(self) -> None:
        """Show the process's alarms: the pill, the sidebar's list, the cards."""
        alarms = self._alarms_shown = self._ingestion.alarms.view
        self._list_alarms(alarms)
        self.alarm_cards.refresh(alarms)
        if self._health_inputs is None:
            return
        stale, lost = self._health_inputs
        facts = self._facts.at(self._clock_ns())
        self.pill.show(
            health(
                facts.snapshot,
                stale_keys=stale,
                lost_lately=lost,
                truncated_keys=facts.memory.truncated_keys,
                remembered_ns=self._remembered_ns,
                alarms=alarms,
            )
        )

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
            self.frames_note.update(text=text, visible=bool(text))

    def _show_hidden(self, hidden: int) -> None:
        text = (
            ""
            if hidden == 0
            else f"{hidden} more keys not shown: the automatic layout shows at "
            f"most {MAX_AUTO_PLOTS} plots; add them from the key browser"
        )
        if text != self.hidden_keys.text:
            self.hidden_keys.update(text=text, visible=bool(text))
