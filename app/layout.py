"""Plots of keys: the kinds of key, the views each kind offers, and the grid."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import replace
from typing import Any

import panel as pn
import param

from app.data import (
    AggregatingExtractor,
    KeyInfo,
    LatestValueExtractor,
    Retention,
    TimeWindowExtractor,
    UpdateExtractor,
    WindowExtractor,
)

from .custom_plots import HoloViewsPlotter, custom_views
from .layout_file import (
    AGGREGATE,
    DEFAULT_AGGREGATE_SECONDS,
    DEFAULT_WINDOW_SECONDS,
    LATEST,
    TIME_WINDOW,
    WINDOW,
    PlotSpec,
    format_seconds,
)
from .options import DashboardOptions
from .plotters import (
    ImagePlotter,
    LinePlotter,
    Plotter,
    SlidingWindowPlotter,
    ValuePanel,
)

logger = logging.getLogger(__name__)

VALUE, SPECTRUM, IMAGE, VOLUME = "value", "spectrum", "image", "volume"
"""The kinds of key the dashboard plots; a volume (3-D) is drawn as the image
of its sum over its first dim (decision 045)."""

_NUMERIC_DTYPES = frozenset({"float64", "float32", "int64", "int32", "bool"})


def plot_kind(info: KeyInfo) -> str | None:
    """The kind of plot for a key, from what its history holds; None if none.

    Only numeric scipp values are plotted: binned data, strings and other
    objects are kept by the DataService but drawn by nothing here.
    """
    if info.binned or info.dtype not in _NUMERIC_DTYPES:
        return None
    if info.kind not in ("DataArray", "Variable"):
        return None
    return {0: VALUE, 1: SPECTRUM, 2: IMAGE, 3: VOLUME}.get(info.ndim)


BUILT_IN_VIEWS = {
    VALUE: (LATEST, WINDOW, TIME_WINDOW),
    SPECTRUM: (LATEST, WINDOW, TIME_WINDOW, AGGREGATE),
    IMAGE: (LATEST, AGGREGATE),
    VOLUME: (LATEST, AGGREGATE),
    None: (),
}
"""The built-in views each kind of key offers (windows of images are not drawn)."""

AUTOMATIC_VIEWS = {
    VALUE: (LATEST, WINDOW),
    SPECTRUM: (LATEST, WINDOW),
    IMAGE: (LATEST,),
    VOLUME: (LATEST,),
}

PLOTS_PER_KIND = {kind: len(AUTOMATIC_VIEWS.get(kind, ())) for kind in BUILT_IN_VIEWS}
"""How many plots the automatic layout makes for each kind (counted before building)."""


def views_for(key: Hashable, info: KeyInfo) -> tuple[str, ...]:
    """Every view a key offers: its kind's built-in ones, then custom ones."""
    custom = tuple(
        name for name, view in custom_views().items() if view.applies_to(key, info)
    )
    return BUILT_IN_VIEWS[plot_kind(info)] + custom


def spec_for(key: Hashable, view: str, options: DashboardOptions) -> PlotSpec:
    """A plot of `key` in `view` with the view's default extent."""
    if view == WINDOW:
        return PlotSpec(key, view, frames=options.window_size)
    if view == TIME_WINDOW:
        return PlotSpec(key, view, seconds=DEFAULT_WINDOW_SECONDS)
    if view == AGGREGATE:
        return PlotSpec(key, view, seconds=DEFAULT_AGGREGATE_SECONDS, op="sum")
    return PlotSpec(key, view)


def history_retention(info: KeyInfo, options: DashboardOptions) -> Retention:
    """What a key's buffer keeps before any session watches it (decision 018):
    enough for the views the automatic layout shows for its kind.

    Time windows and aggregates, which a page adds, fill as they are watched:
    minutes of spectra or seconds of images would cost the memory budget what
    watched keys need, and a span costs every update of a value more.
    """
    retention = Retention()
    for view in AUTOMATIC_VIEWS.get(plot_kind(info), ()):
        retention = retention.union(
            _extractor_of(spec_for(None, view, options)).retention()
        )
    # Nothing reads these frames: large ones may stay as they are (decision 016).
    return replace(retention, by_reference=True)


def _extractor_of(spec: PlotSpec) -> UpdateExtractor:
    """The extractor the plot of `spec` subscribes with."""
    if spec.view == WINDOW:
        return WindowExtractor(spec.frames)
    if spec.view == TIME_WINDOW:
        return TimeWindowExtractor(spec.seconds)
    if spec.view == AGGREGATE:
        return AggregatingExtractor(seconds=spec.seconds, op=spec.op)
    return LatestValueExtractor()


def automatic_specs(
    key: Hashable, info: KeyInfo, options: DashboardOptions
) -> list[PlotSpec]:
    """The plots the automatic layout shows for a key."""
    views = AUTOMATIC_VIEWS.get(plot_kind(info), ())
    return [spec_for(key, view, options) for view in views]


def plotter_for(spec: PlotSpec, info: KeyInfo, options: DashboardOptions) -> Plotter:
    """Build the plot of `spec` for a key described by `info`.

    Raises
    ------
    ValueError
        If the key's kind does not offer the view.
    """
    kind = plot_kind(info)
    views = views_for(spec.key, info)
    if spec.view not in views:
        what = kind or info.kind
        article = "an" if what[:1].lower() in "aeiou" else "a"
        offers = ", ".join(views) if views else "no view"
        raise ValueError(
            f"key {spec.key!r}: {article} {what} offers no {spec.view!r} view "
            f"(it offers {offers})"
        )
    drawn = {"renderer": options.renderer}
    frame_ndim = 0 if kind == VALUE else 1
    if spec.view == LATEST:
        if kind == VALUE:
            return ValuePanel(spec.key)
        # An image plot draws a volume as its sum over the first dim.
        return (LinePlotter if kind == SPECTRUM else ImagePlotter)(spec.key, **drawn)
    if spec.view == WINDOW:
        return SlidingWindowPlotter(
            spec.key, frame_ndim=frame_ndim, window_size=spec.frames, **drawn
        )
    if spec.view == TIME_WINDOW:
        return SlidingWindowPlotter(
            spec.key,
            frame_ndim=frame_ndim,
            seconds=spec.seconds,
            window_size=options.window_size,
            **drawn,
        )
    if spec.view == AGGREGATE:
        plot = AggregatedLine if kind == SPECTRUM else AggregatedImage
        return plot(spec.key, seconds=spec.seconds, op=spec.op, **drawn)
    return HoloViewsPlotter(spec.key, custom_views()[spec.view], **drawn)


class _Aggregated(param.Parameterized):
    """What an aggregated view adds to a latest-value plot: its extractor."""

    seconds = param.Number(default=DEFAULT_AGGREGATE_SECONDS, bounds=(0, None))
    op = param.String(default="sum")

    def make_extractor(self) -> UpdateExtractor:
        return AggregatingExtractor(seconds=self.seconds, op=self.op)

    def _extent_label(self) -> str:
        return f"{self.op} of the last {format_seconds(self.seconds)}"


class AggregatedLine(_Aggregated, LinePlotter):
    """A spectrum reduced over the last seconds ("sum of the last 10 s")."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.source.name = f"aggregate:{key}"


class AggregatedImage(_Aggregated, ImagePlotter):
    """An image reduced over the last seconds."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.source.name = f"aggregate:{key}"


def row_of(spec: PlotSpec, info: KeyInfo) -> str:
    """Which row of the grid a plot goes to: values, latest or windows."""
    if spec.view in (WINDOW, TIME_WINDOW):
        return "windows"
    if spec.view == LATEST and plot_kind(info) == VALUE:
        return "values"
    return "latest"


class DashboardGrid:
    """Three rows of cards: values, latest-value plots, windows."""

    def __init__(self) -> None:
        self.rows = {name: pn.FlexBox() for name in ("values", "latest", "windows")}
        self.view = pn.Column(*self.rows.values())
        self._cards: dict[int, tuple[str, pn.viewable.Viewable]] = {}

    def add(
        self,
        handle: object,
        row: str,
        card: pn.viewable.Viewable,
        index: int | None = None,
    ) -> None:
        """Put a card in a row at `index` among its cards (after them if None)."""
        self._cards[id(handle)] = (row, card)
        cards = self.rows[row]
        if index is None or index >= len(cards):
            cards.append(card)
        else:
            cards.insert(index, card)

    def replace(self, handle: object, new: object, card: pn.viewable.Viewable) -> None:
        """Show `card`, the card of `new`, where the card of `handle` was."""
        row, old = self._cards.pop(id(handle))
        cards = self.rows[row]
        cards[cards.objects.index(old)] = card
        self._cards[id(new)] = (row, card)

    def remove(self, handle: object) -> None:
        """Take a card out of its row."""
        row, card = self._cards.pop(id(handle))
        self.rows[row].remove(card)

    def row_of(self, handle: object) -> str | None:
        """The row the card of `handle` is in; None if it is in none."""
        placed = self._cards.get(id(handle))
        return None if placed is None else placed[0]
