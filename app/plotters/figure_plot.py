"""FigurePlotter: a plot in a Bokeh figure, its controls, header colour and value range.

The value range is the y axis of a line or time series and the colour range
of an image or waterfall: automatic (`AutoRange`, decision 040) or fixed by
the operator. Panning or zooming a y axis holds it where the operator put it
until the plot's reset tool brings back the automatic range.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime
from typing import Any

import panel as pn
import param
import scipp as sc
from bokeh.models import Div, LayoutDOM, Range1d, Toggle

from app.audit import REFUSED, audit_log
from app.bokeh_buttons import button_sheet, header_button
from app.page_text import IN_PLACE, text_div
from app.plotters.base import HeaderState, Plotter
from app.plotters.columns import newest_time_ns
from app.plotters.confirm import ConfirmedClick
from app.plotters.scale import AutoRange, Extent
from app.roles import CLEAR_HISTORY, may

HEADER_COLOURS = {
    # Live text takes the page's text colour (`FigurePlotter._set_header`): a
    # fixed dark grey vanished on the dark theme.
    HeaderState.LIVE: ("#222222", None),
    HeaderState.PAUSED: ("#1f4e8c", "#e3ecf7"),
    HeaderState.STALE: ("#7a4f00", "#ffe2a0"),
    HeaderState.FAILED: ("#9c0000", "#fdd8d8"),
}
"""Title text and background per header state: seen at a glance across the room."""


HEADER_STYLES = {
    "font-weight": "bold",
    "font-size": "13px",
    "padding": "3px 4px",
    "white-space": "nowrap",
    "overflow": "hidden",
    "text-overflow": "ellipsis",
}
"""The header's look: one line, cut short with an ellipsis in a narrow card."""


def reference_time(frame: sc.DataArray) -> str:
    """When a reference frame was taken, as its header says (UTC)."""
    time_ns = newest_time_ns(frame)
    if time_ns is None:
        return "a frame without time"
    return datetime.fromtimestamp(time_ns / 1e9, tz=UTC).strftime(
        "%Y-%m-%d %H:%M:%S UTC"
    )


CLEAR = "clear"
CONFIRM_CLEAR = "confirm clear?"
CLEAR_DESCRIPTION = "drop this key's history in every open page (click twice)"


def css_name(text: str) -> str:
    """Return ``text`` usable as a CSS class: anything else than [A-Za-z0-9_-] is -."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


class FigurePlotter(Plotter):
    """Base of the plots drawn in a figure: header, settings, value range."""

    scale = param.Selector(
        default="auto",
        objects=["auto", "fixed"],
        doc="Value range (y axis or colours): automatic, or fixed low/high.",
    )
    low = param.Number(default=None, allow_None=True, doc="Low end when fixed.")
    high = param.Number(default=None, allow_None=True, doc="High end when fixed.")

    kind = "plot"
    """Names this plot's card: ``{kind}-{key}`` as a CSS class."""
    fills_card = True

    keeps_reference = False
    """Whether the plot can show a reference frame beside its data (decision 094)."""

    def __init__(self, key: Any, **params: Any) -> None:
        super().__init__(key, **params)
        # The header is the card's, above the figure: the figure has no title.
        self._header_div = text_div(
            self.label,
            css_classes=["plot-key"],
            sizing_mode="stretch_width",
            styles=dict(HEADER_STYLES),
            # It changes every second (the age) and with the plot's state (its
            # colours): one line in a box of its own, so never laid out again.
            tags=[IN_PLACE],
        )
        self._auto = AutoRange(log=self._log_scale())
        self._titles: tuple[str, ...] = ()  # axis and colour-bar titles as set
        self._range_chosen: Extent | None = None
        self._range_applied: Extent | None = None
        self._value_axis: Range1d | None = None
        self._setting_axis = False
        self._held = False
        self._confirm = ConfirmedClick()
        self._clear_button: pn.widgets.Button | None = None
        self._reference: sc.DataArray | None = None

    @property
    def value_range(self) -> Extent:
        """The range the plot chose: fixed if valid, else the automatic one."""
        low, high = self.low, self.high
        fixed = self.scale == "fixed" and low is not None and high is not None
        if fixed and low < high and (low > 0 or not self._log_scale()):
            return float(low), float(high)
        return self._auto.range

    @property
    def reference(self) -> sc.DataArray | None:
        """The reference frame shown beside the data, if any."""
        return self._reference

    def use_reference(self, frame: sc.DataArray | None, note: str = "") -> None:
        """Show ``frame`` beside the data from the first draw on (decision 094);
        None, with a ``note`` saying why, if the layout's reference is not there.

        Called before the plot is built: a plot without one builds nothing for it.
        """
        self._reference = frame if self.keeps_reference else None
        if frame is not None and self._reference is None:
            note = "this view shows no reference"
        elif frame is not None:
            note = f"reference of {reference_time(frame)}"
        self._reference_note = note

    def reference_frame(self) -> sc.DataArray | None:
        """The frame "keep as reference" would pin now: what the plot draws."""
        return None

    @property
    def held(self) -> bool:
        """Whether the operator panned or zoomed the value axis (it stays there)."""
        return self._held

    def _figure(self, **kwargs: Any) -> Any:
        self._titles = ()  # a new figure has none of them yet
        return super()._figure(**kwargs)

    def _titles_changed(self, titles: tuple[str, ...]) -> bool:
        """Whether `titles` (axes, colour bar) differ from those set last, which
        they then are. Compared with what was set, not read back: finding an
        axis walks the figure's renderers, every frame of every session, and
        setting an unchanged title still sends a patch."""
        if titles == self._titles:
            return False
        self._titles = titles
        return True

    # Hooks -------------------------------------------------------------------
    def _log_scale(self) -> bool:
        return False

    def _set_value_range(self, low: float, high: float) -> None:
        """Show a colour range; plots whose range is a y axis use `_value_axis`."""
        raise NotImplementedError

    def _controls(self) -> list[pn.viewable.Viewable]:
        """Widgets of this kind of plot, before the common ones."""
        return []

    # Value range -------------------------------------------------------------
    def _take_in(self, data: Extent | None) -> None:
        """Let the automatic range see the extent of the data shown now."""
        self._auto.update(data, self._now_ns)
        self._apply_range()

    def _apply_range(self) -> None:
        chosen = self.value_range
        if chosen == self._range_chosen:
            return
        self._range_chosen = chosen
        if self._value_axis is None:
            self._set_value_range(*chosen)
            return
        low, high = chosen
        # Reset (the toolbar's) brings the operator back to the chosen range.
        update: dict[str, float] = {"reset_start": low, "reset_end": high}
        if not self._held:
            update |= {"start": low, "end": high}
        self._setting_axis = True
        try:
            self._value_axis.update(**update)
        finally:
            self._setting_axis = False

    def _use_value_axis(self, value_axis: Range1d) -> None:
        """Make ``value_axis`` the value range; the operator's pans hold it."""
        self._value_axis = value_axis
        value_axis.on_change("start", self._on_value_axis)
        value_axis.on_change("end", self._on_value_axis)

    def _on_value_axis(self, attr: str, old: Any, new: Any) -> None:
        if self._setting_axis or self._range_chosen is None:
            return
        axis = self._value_axis
        chosen = self._range_chosen
        self._held = not (
            math.isclose(axis.start, chosen[0], rel_tol=1e-9, abs_tol=1e-300)
            and math.isclose(axis.end, chosen[1], rel_tol=1e-9, abs_tol=1e-300)
        )

    def _change_scale(self, log: bool) -> None:
        """Switch between linear and log, keeping the shown range if it fits."""
        shown = self._shown_range()
        self._auto.reset(log=log)
        if shown is not None and (shown[0] > 0 or not log):
            self._auto.seed(shown, self._now_ns)
        elif self._held:
            self._held = False
        self._range_chosen = None

    def _forget_range(self) -> None:
        """Start the automatic range anew (the history was cleared)."""
        self._auto.reset()
        self._range_chosen = None
        self._held = False

    def _shown_range(self) -> Extent | None:
        if self._value_axis is not None:
            return float(self._value_axis.start), float(self._value_axis.end)
        return self._range_chosen

    @param.depends("scale", "low", "high", watch=True)
    def _on_range_option(self) -> None:
        if self.scale == "fixed" and (self.low is None or self.high is None):
            # Fixing without numbers locks the range shown now.
            low, high = self._shown_range() or self._auto.range
            self.param.update(low=low, high=high)
            return
        self._held = False
        self._range_chosen = None
        if self._root is not None:
            self._apply_range()

    @param.depends("paused", watch=True)
    def _on_pause(self) -> None:
        # Resuming catches up at once, not at the next frame data would ask for.
        if not self.paused:
            self._wants_frame()

    def draw(self, now_ns: int | None = None) -> bool:
        drawn = super().draw(now_ns)
        button = self._clear_button
        offer_expired = not self._confirm.armed(time.monotonic())
        if button is not None and button.label != CLEAR and offer_expired:
            button.label = CLEAR
        self.name_saved_image(self._fig.tools)
        return drawn

    def _on_clear(self, event: Any) -> None:
        permission = may(CLEAR_HISTORY)
        if not permission.allowed:
            # Only a page changed in the browser sends this (the control is
            # disabled): refused at once, told to the audit, the control shut.
            audit_log().record(permission.who, CLEAR_HISTORY, self.key, REFUSED)
            self._clear_button.param.update(label=CLEAR, disabled=True)
            return
        # A second click within a few seconds confirms: one stray click never
        # throws away a history that cannot come back.
        if self._confirm.click(time.monotonic()):
            self._clear_button.label = CLEAR
            self.clear_history()
        else:
            self._clear_button.label = CONFIRM_CLEAR

    # Header, settings and layout -------------------------------------------
    def _set_header(self, text: str, state: HeaderState) -> None:
        colour, background = HEADER_COLOURS[state]
        # Live, the header has no colour of its own: the page's text colour,
        # light or dark theme alike.
        styles = {
            **HEADER_STYLES,
            "color": colour if background else "inherit",
            "background-color": background or "transparent",
        }
        if styles == self._header_div.styles:
            self._header_div.text = text
        else:
            self._header_div.update(text=text, styles=styles)

    def header_model(self) -> Div:
        """The Div that shows the header (key, unit, extent, age) above the plot."""
        return self._header_div

    def header_controls(self) -> list[LayoutDOM]:
        pause = header_button(
            Toggle, "pause", 64, "pause", button_sheet(), active=self.paused
        )
        # Both ways: a click pauses the plot, and a pause set elsewhere shows.
        pause.on_change("active", lambda attr, old, new: setattr(self, "paused", new))
        self.param.watch(lambda event: setattr(pause, "active", event.new), "paused")
        return [pause]

    def settings(self) -> list[pn.viewable.Viewable]:
        scale = pn.widgets.RadioButtonGroup.from_param(
            self.param.scale, width=110, css_classes=["scale"]
        )
        low = pn.widgets.FloatInput.from_param(
            self.param.low, name="", placeholder="low", width=90, css_classes=["low"]
        )
        high = pn.widgets.FloatInput.from_param(
            self.param.high,
            name="",
            placeholder="high",
            width=90,
            css_classes=["high"],
        )
        permission = may(CLEAR_HISTORY)
        self._clear_button = clear = pn.widgets.Button(
            label=CLEAR,
            width=110,
            css_classes=["clear"],
            disabled=not permission.allowed,
            description=permission.reason or CLEAR_DESCRIPTION,
        )
        clear.on_click(self._on_clear)
        own = self._controls()
        return [
            *([pn.Row(*own, margin=0)] if own else []),
            pn.Row(scale, low, high, margin=0),
            clear,
        ]

    def _built(self) -> None:
        # Named as its figure: "header:line:monitor/m1".
        self._header_div.name = self._fig.name.replace("figure:", "header:", 1)

    @property
    def card_class(self) -> str:
        return f"{self.kind}-{css_name(self.label)}"

    def _pane_sizing(self) -> dict[str, Any]:
        return {"sizing_mode": "stretch_both", "margin": 0}
