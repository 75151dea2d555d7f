"""Aggregated views: a spectrum or image reduced over the last seconds."""

from __future__ import annotations

from typing import Any

import param

from app.data import AggregatingExtractor, UpdateExtractor
from app.durations import format_seconds
from app.plot_spec import DEFAULT_AGGREGATE_SECONDS
from app.plotters.image import ImagePlotter
from app.plotters.line import LinePlotter


class AggregateExtent(param.Parameterized):
    """What an aggregated view adds to a latest-value plot: its extractor and
    the words of its extent ("sum of the last 10 s")."""

    seconds = param.Number(default=DEFAULT_AGGREGATE_SECONDS, bounds=(0, None))
    op = param.String(default="sum")

    def make_extractor(self) -> UpdateExtractor:
        return AggregatingExtractor(seconds=self.seconds, op=self.op)

    def _extent_label(self) -> str:
        return f"{self.op} of the last {format_seconds(self.seconds)}"


class AggregatedLine(AggregateExtent, LinePlotter):
    """A spectrum reduced over the last seconds ("sum of the last 10 s")."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.source.name = f"aggregate:{key}"


class AggregatedImage(AggregateExtent, ImagePlotter):
    """An image reduced over the last seconds."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.source.name = f"aggregate:{key}"
