"""A plot's card: one header line above the plot, its settings one click away.

The header holds what an operator reads or does often: key, unit, extent and
age, **pause**, the settings toggle (⚙) and **✕**. The settings (view, window,
range, log, clear, and whatever a feature adds) open over the plot, so the
plot keeps the rest of the card and follows its size (decision 085). They are
built when first opened: a page of 48 cards does not build 48 menus.

A feature adds settings to every card with one function in `SETTINGS`: given
the card's plot, it returns the widgets of its section, or none.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import panel as pn
from bokeh.events import ButtonClick
from bokeh.models import Button, Div, LayoutDOM, Toggle
from bokeh.models import Row as BokehRow

from app.bokeh_buttons import button_sheet, header_button
from app.data import KeyInfo
from app.page.pairing import pairing_controls
from app.page.plot_tools import plot_tools
from app.page_text import text_div
from app.plot_spec import PlotSpec, plot_kind
from app.plotters import Plotter

HEADER_PX = 30
"""The header line's height: the pause, ⚙ and ✕ buttons and the header text."""

CARD_HEIGHT = 400
"""A card that follows its plot's size is this tall; its width is its row's share."""

CARD_MIN_WIDTH = 420
"""Cards share a row's width, none narrower than this: a row holds as many as fit."""


@dataclass(frozen=True)
class CardActions:
    """What a settings section may ask of the session for the card's plot;
    each runs as a callback of the page's document."""

    replace: Callable[[PlotSpec], None]
    """Show another plot (another pairing, say) in the card's place."""
    keep_reference: Callable[[], None]
    """Pin the frame the plot shows as its reference (decision 094)."""
    drop_reference: Callable[[], None]
    """Show the plot without its reference."""
    catalog: Callable[[], Mapping[Hashable, KeyInfo]]
    """The keys the page knows now, and what they hold."""


@dataclass(frozen=True)
class CardPlot:
    """What a settings section may ask of the card's plot."""

    spec: PlotSpec
    info: KeyInfo
    plotter: Plotter
    actions: CardActions | None = None
    """None where no session stands behind the card (tests of a card alone)."""


SettingsSection = Callable[[CardPlot], Sequence[pn.viewable.Viewable]]
"""A section of a card's settings: its widgets for the card's plot (none: no
section). Called once per card, when its settings first open."""


def plot_settings(plot: CardPlot) -> Sequence[pn.viewable.Viewable]:
    """The plot's own settings: window, range, log, clear (`Plotter.settings`)."""
    return plot.plotter.settings()


def pairing_settings(plot: CardPlot) -> Sequence[pn.viewable.Viewable]:
    """What the plot is paired with: its x key, its divisor (decision 090)."""
    if plot.actions is None:
        return []
    return pairing_controls(plot.spec, plot.actions.catalog(), plot.actions.replace)


def data_out_settings(plot: CardPlot) -> Sequence[pn.viewable.Viewable]:
    """CSV and HDF5 of what the plot shows, and its reference (093, 094)."""
    if plot.actions is None:
        return []
    return [
        pn.Row(
            *plot_tools(
                plot.spec,
                plot_kind(plot.info),
                plot.plotter,
                keep=plot.actions.keep_reference,
                drop=plot.actions.drop_reference,
            ),
            margin=0,
        )
    ]


SETTINGS: tuple[SettingsSection, ...] = (
    plot_settings,
    pairing_settings,
    data_out_settings,
)
"""Every card's settings sections, in order, after the view menu."""


def key_label(key: Hashable) -> Div:
    """The key in words, for a card whose plot has no header of its own."""
    return text_div(
        str(key),
        css_classes=["plot-key"],
        sizing_mode="stretch_width",
        margin=(6, 4, 0, 4),
        # A narrow card (a value panel beside its alarm controls) cuts a long
        # key short rather than writing it over the buttons.
        styles={
            "font-size": "80%",
            "color": "#888",
            "overflow": "hidden",
            "white-space": "nowrap",
            "text-overflow": "ellipsis",
            "min-width": "0",
        },
    )


class PlotCard:
    """One plot's card: header, the plot, and settings built when first opened.

    Parameters
    ----------
    plot:
        The card's plot.
    view_menu:
        Builds the menu of the plot's views (the first settings).
    remove:
        Takes the plot off the page (the ✕).
    schedule:
        Runs a change of the page as a callback of its document.
    sections:
        The settings' sections after the view menu.
    controls:
        Controls of features that act on the plot itself, in the header
        before ⚙ (e.g. the regions of interest's toggle of an image), as
        Bokeh's models.
    """

    def __init__(
        self,
        plot: CardPlot,
        *,
        view_menu: Callable[[], pn.viewable.Viewable],
        remove: Callable[[], None],
        schedule: Callable[[Callable[[], None]], None],
        sections: Sequence[SettingsSection] = SETTINGS,
        controls: Sequence[LayoutDOM] = (),
    ) -> None:
        self.plot = plot
        self._view_menu = view_menu
        self._sections = tuple(sections)
        self._schedule = schedule
        self.settings: pn.Column | None = None
        plotter = plot.plotter
        # The header's text and controls are Bokeh's models in one pane: as
        # Panel's widgets, each in its own model and pane, they were a third
        # of the cost of placing a card (decision 064).
        sheet = button_sheet()
        self.toggle = header_button(Toggle, "⚙", 36, "plot-settings", sheet)
        self.toggle.on_change(
            "active", lambda attr, old, new: schedule(self._show_settings)
        )
        close = header_button(
            Button,
            "✕",
            36,
            "plot-remove",
            sheet,
            button_type="light",
            # An attribute's value, set by the browser as text.
            html_attributes={"title": f"remove this plot of {plot.spec.key}"},
        )
        close.on_event(ButtonClick, lambda event: schedule(remove))
        self._lead = [
            plotter.header_model() or key_label(plot.spec.key),
            *plotter.header_controls(),
        ]
        self._tail = [self.toggle, close]
        self._controls = list(controls)
        # One line above a figure; a custom view's header may take two.
        height = HEADER_PX if plotter.fills_card else None
        self._line = BokehRow(
            children=self._header_models(),
            height=height,
            min_height=HEADER_PX,
            sizing_mode="stretch_width",
        )
        self.header = pn.pane.Bokeh(
            self._line, margin=0, height=height, sizing_mode="stretch_width"
        )
        classes = ["plot-card", *([plotter.card_class] if plotter.card_class else [])]
        if plotter.fills_card:
            size = {
                "sizing_mode": "stretch_width",
                "height": CARD_HEIGHT,
                "min_width": CARD_MIN_WIDTH,
                # Cards share their row's width and wrap when narrower.
                "styles": {"flex": f"1 1 {CARD_MIN_WIDTH}px", **CARD_STYLES},
            }
        else:
            size = {"width": plotter.width + 10, "styles": CARD_STYLES}
        self.view = pn.Column(self.header, plotter.panel(), css_classes=classes, **size)

    def _header_models(self) -> list[LayoutDOM]:
        return [*self._lead, *self._controls, *self._tail]

    def add_controls(self, *controls: LayoutDOM) -> None:
        """Add controls to the header, before ⚙: what a feature shows on the
        card while its settings are closed (an alarm's state, say)."""
        self._controls += controls
        self._line.children = self._header_models()

    @property
    def settings_open(self) -> bool:
        """Whether the settings show."""
        return self.settings is not None and self.settings.visible

    def _show_settings(self) -> None:
        """Show or hide the settings as the toggle says; built at the first show."""
        shown = self.toggle.active
        if self.settings is None:
            if not shown:
                return
            widgets = [self._view_menu()]
            for section in self._sections:
                widgets.extend(section(self.plot))
            self.settings = pn.Column(
                *widgets,
                css_classes=["plot-settings-panel"],
                margin=(0, 4),
                styles=SETTINGS_STYLES,
            )
            self.view.insert(1, self.settings)
        else:
            self.settings.visible = shown


CARD_STYLES = {"position": "relative"}
"""The card is where its settings lie over it."""

SETTINGS_STYLES = {
    # Over the plot, under the header: opening them does not resize the plot.
    "position": "absolute",
    "top": f"{HEADER_PX}px",
    "right": "0",
    "z-index": "10",
    "padding": "4px",
    "background-color": "var(--panel-surface-color, var(--background-color, #ffffff))",
    "border": "1px solid rgba(128, 128, 128, 0.5)",
    "border-radius": "4px",
    "box-shadow": "0 2px 6px rgba(0, 0, 0, 0.25)",
}
"""The settings' look: a panel over the plot's top right."""
