"""The default layout: plots chosen by each key's dimensionality, in a grid."""

from __future__ import annotations

import logging
from typing import Any

import panel as pn

from .options import DashboardOptions
from .plotters import (
    ImagePlotter,
    LinePlotter,
    Plotter,
    SlidingWindowPlotter,
    ValuePanel,
)

logger = logging.getLogger(__name__)


def plotters_for(key: str, value: Any, options: DashboardOptions) -> list[Plotter]:
    """Return the plots of a key whose latest value is ``value``.

    0-D: a value panel and a time series; 1-D: the latest spectrum and a
    waterfall; 2-D: an image. Other values get no plot (logged).
    """
    ndim = getattr(value, "ndim", None)
    drawn = {"renderer": options.renderer}
    window = {"window_size": options.window_size, **drawn}
    if ndim == 0:
        return [
            ValuePanel(key),
            SlidingWindowPlotter(key, frame_ndim=0, **window),
        ]
    if ndim == 1:
        return [
            LinePlotter(key, **drawn),
            SlidingWindowPlotter(key, frame_ndim=1, **window),
        ]
    if ndim == 2:
        return [ImagePlotter(key, **drawn)]
    logger.info("key %r: no plot for a %s", key, type(value).__name__)
    return []


class DashboardGrid:
    """Three rows of cards: values, latest-value plots, sliding windows."""

    def __init__(self) -> None:
        self.values = pn.FlexBox()
        self.latest = pn.FlexBox()
        self.windows = pn.FlexBox()
        self.view = pn.Column(self.values, self.latest, self.windows)

    def add(self, plotter: Plotter) -> None:
        """Put a plot's card in the row of its kind."""
        if isinstance(plotter, ValuePanel):
            row = self.values
        elif isinstance(plotter, SlidingWindowPlotter):
            row = self.windows
        else:
            row = self.latest
        row.append(plotter.panel())
