"""What a plot is: the kind of key it draws, its view, and the view's extent.

Every wing reads these words: the ingestion keeps the history the automatic
views need (`history_retention`), a layout file names plots as `PlotSpec`s,
and the page builds a plotter for each (`app.page.views`).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from app.data import (
    AggregatingExtractor,
    KeyInfo,
    LatestValueExtractor,
    Retention,
    TimeWindowExtractor,
    UpdateExtractor,
    WindowExtractor,
)
from app.durations import format_seconds

VALUE, SPECTRUM, IMAGE, VOLUME = "value", "spectrum", "image", "volume"
"""The kinds of key the dashboard plots; a volume (3-D) is drawn as the image
of its sum over its first dim (decision 045)."""

LATEST, WINDOW, TIME_WINDOW, AGGREGATE = "latest", "window", "time_window", "aggregate"
AGAINST = "against"
"""The key's frames against a 0-D key's value as of their time (decision 090)."""
BUILT_IN_VIEWS = (LATEST, WINDOW, TIME_WINDOW, AGGREGATE, AGAINST)
"""The views the dashboard draws itself; custom views add their own names."""

AGGREGATE_OPS = ("sum", "mean", "max", "min")
DEFAULT_FRAMES = 100
DEFAULT_WINDOW_SECONDS = 300.0
DEFAULT_AGGREGATE_SECONDS = 10.0

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


AUTOMATIC_VIEWS: dict[str | None, tuple[str, ...]] = {
    VALUE: (LATEST, WINDOW),
    SPECTRUM: (LATEST, WINDOW),
    IMAGE: (LATEST,),
    VOLUME: (LATEST,),
}
"""The plots the automatic layout shows for each kind."""

PLOTS_PER_KIND = {
    kind: len(AUTOMATIC_VIEWS.get(kind, ()))
    for kind in (VALUE, SPECTRUM, IMAGE, VOLUME, None)
}
"""How many plots the automatic layout makes for each kind (counted before building)."""


@dataclass(frozen=True)
class PlotSpec:
    """One plot of a layout: a key, how it is viewed, and the view's extent.

    Keys of any hashable type can be shown; a layout file names string keys.
    `x_key` is the 0-D key an ``against`` view plots against; `divide_by` a
    0-D key every frame is divided by (decision 090).
    ``reference`` names a frame the operator pinned on the plot (decision 094).
    """

    key: Hashable
    view: str = LATEST
    frames: int | None = None
    seconds: float | None = None
    op: str | None = None
    x_key: Hashable | None = None
    divide_by: Hashable | None = None
    reference: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The plot as the layout file writes it (no empty fields)."""
        fields = {"key": self.key, "view": self.view, "frames": self.frames}
        fields |= {"seconds": self.seconds, "op": self.op, "x_key": self.x_key}
        fields |= {"divide_by": self.divide_by, "reference": self.reference}
        return {name: value for name, value in fields.items() if value is not None}

    def describe(self) -> str:
        """How the view reads in a menu: ``window of 100 frames``."""
        if self.view == WINDOW:
            return f"window of {self.frames or DEFAULT_FRAMES} frames"
        if self.view == TIME_WINDOW:
            return f"last {format_seconds(self.seconds or DEFAULT_WINDOW_SECONDS)}"
        if self.view == AGGREGATE:
            span = format_seconds(self.seconds or DEFAULT_AGGREGATE_SECONDS)
            return f"{self.op or 'sum'} of the last {span}"
        if self.view == AGAINST:
            return "against a value"
        return self.view

    def extractor(self) -> UpdateExtractor:
        """The extractor a built-in plot of this spec subscribes with."""
        if self.view == WINDOW:
            return WindowExtractor(self.frames or DEFAULT_FRAMES)
        if self.view == TIME_WINDOW:
            return TimeWindowExtractor(self.seconds or DEFAULT_WINDOW_SECONDS)
        if self.view == AGGREGATE:
            seconds = self.seconds or DEFAULT_AGGREGATE_SECONDS
            return AggregatingExtractor(seconds=seconds, op=self.op or "sum")
        return LatestValueExtractor()


def spec_for(key: Hashable, view: str, window_size: int) -> PlotSpec:
    """A plot of `key` in `view` with the view's default extent.

    ``window_size`` is the frames of a new window (the ``--window`` option).
    """
    if view == WINDOW:
        return PlotSpec(key, view, frames=window_size)
    if view == TIME_WINDOW:
        return PlotSpec(key, view, seconds=DEFAULT_WINDOW_SECONDS)
    if view == AGGREGATE:
        return PlotSpec(key, view, seconds=DEFAULT_AGGREGATE_SECONDS, op="sum")
    return PlotSpec(key, view)


def automatic_specs(key: Hashable, info: KeyInfo, window_size: int) -> list[PlotSpec]:
    """The plots the automatic layout shows for a key."""
    views = AUTOMATIC_VIEWS.get(plot_kind(info), ())
    return [spec_for(key, view, window_size) for view in views]


def history_retention(info: KeyInfo, window_size: int) -> Retention:
    """What a key's buffer keeps before any session watches it (decision 018):
    enough for the views the automatic layout shows for its kind.

    Time windows and aggregates, which a page adds, fill as they are watched:
    minutes of spectra or seconds of images would cost the memory budget what
    watched keys need, and a span costs every update of a value more.
    """
    retention = Retention()
    for spec in automatic_specs(None, info, window_size):
        retention = retention.union(spec.extractor().retention())
    # Nothing reads these frames: large ones may stay as they are (decision 016).
    return replace(retention, by_reference=True)
