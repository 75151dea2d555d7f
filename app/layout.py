"""The default layout: plots chosen by each key's kind, in a grid."""

from __future__ import annotations

import logging
from collections.abc import Hashable

import panel as pn

from app.data import KeyInfo

from .options import DashboardOptions
from .plotters import (
    ImagePlotter,
    LinePlotter,
    Plotter,
    SlidingWindowPlotter,
    ValuePanel,
)

logger = logging.getLogger(__name__)

VALUE, SPECTRUM, IMAGE = "value", "spectrum", "image"
"""The kinds of key the default layout plots."""

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
    return {0: VALUE, 1: SPECTRUM, 2: IMAGE}.get(info.ndim)


PLOTS_PER_KIND = {VALUE: 2, SPECTRUM: 2, IMAGE: 1, None: 0}
"""How many plots `plotters_for` makes for each kind (counted before building)."""


def plotters_for(
    key: Hashable, kind: str | None, options: DashboardOptions
) -> list[Plotter]:
    """Return the plots of a key of `kind` (see `plot_kind`).

    value: a value panel and a time series; spectrum: the latest spectrum and a
    waterfall; image: the latest image; anything else: no plot.
    """
    drawn = {"renderer": options.renderer}
    window = {"window_size": options.window_size, **drawn}
    if kind == VALUE:
        return [ValuePanel(key), SlidingWindowPlotter(key, frame_ndim=0, **window)]
    if kind == SPECTRUM:
        return [
            LinePlotter(key, **drawn),
            SlidingWindowPlotter(key, frame_ndim=1, **window),
        ]
    if kind == IMAGE:
        return [ImagePlotter(key, **drawn)]
    return []


class DashboardGrid:
    """Three rows of cards: values, latest-value plots, sliding windows."""

    def __init__(self) -> None:
        self.values = pn.FlexBox()
        self.latest = pn.FlexBox()
        self.windows = pn.FlexBox()
        self.view = pn.Column(self.values, self.latest, self.windows)
        self._cards: dict[int, tuple[pn.FlexBox, pn.viewable.Viewable]] = {}

    def add(self, plotter: Plotter) -> None:
        """Put a plot's card in the row of its kind."""
        if isinstance(plotter, ValuePanel):
            row = self.values
        elif isinstance(plotter, SlidingWindowPlotter):
            row = self.windows
        else:
            row = self.latest
        card = plotter.panel()
        self._cards[id(plotter)] = (row, card)
        row.append(card)

    def remove(self, plotter: Plotter) -> None:
        """Take a plot's card out of its row."""
        row, card = self._cards.pop(id(plotter))
        row.remove(card)
