"""AgainstPlotter: a key's frames against a 0-D key's value as of their time.

Each y frame becomes one point (0-D y, coloured by its time) or one row of a
map (1-D y, over x instead of time), at x's value as of the frame's time
(decision 090). A new frame adds its point and sends only it
(``ColumnDataSource.stream``); nothing drawn is computed again. Binned, a
0-D y shows the mean of y per x bin with its standard deviation.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Hashable, Mapping
from typing import Any

import numpy as np
import panel as pn
import param
import scipp as sc
from bokeh.models import (
    ColumnDataSource,
    HoverTool,
    LayoutDOM,
    LinearColorMapper,
    Range1d,
)

from app.data import UpdateExtractor
from app.plotters.as_of import AsOfKey, Recent, RecentFramesExtractor
from app.plotters.base import add_image
from app.plotters.columns import (
    TIME_DIM,
    axis_label,
    edges_of,
    epoch_ms,
    masked_values,
    unit_label,
)
from app.plotters.figure_plot import FigurePlotter
from app.plotters.local_time import local_time_hover
from app.plotters.shared import drop_unseen_glyphs

MAX_POINTS = 200_000
"""Points a scatter keeps; beyond, the oldest go (``stream``'s rollover)."""

MAX_ROWS = 2_000
"""Rows a map of 1-D frames keeps; each is an image of its own in the browser."""

INLINE_POINTS = 64
"""A stream of at most this many points goes as JSON lists (as the windows')."""

POINTS, BINNED = "points", "binned"


class Column(list):
    """A source's column that equals itself at once.

    On ``stream`` Bokeh compares the columns with their previous values,
    which are the same lists extended in place, and then ignores the result:
    a plain list compares every element, a cost that grew with the plot.
    """

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return self is other or list.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other


def columns(*names: str) -> dict[str, Column]:
    """Empty columns of a streamed source."""
    return {name: Column() for name in names}


NO_X_KEY = "choose the key to plot against in the card's settings"


class AgainstPlotter(FigurePlotter):
    """The frames of a 0-D or 1-D key against the 0-D `x_key` (decision 090)."""

    x_key = param.Parameter(default=None, constant=True, doc="The 0-D key of x.")
    frame_ndim = param.Selector(default=0, objects=[0, 1], constant=True)
    mode = param.Selector(
        default=POINTS,
        objects=[POINTS, BINNED],
        doc="Every frame as a point, or the mean of y per x bin with its spread.",
    )
    bin_width = param.Number(
        default=1.0,
        bounds=(0, None),
        inclusive_bounds=(False, True),
        doc="Width of an x bin (binned points, rows of a map), in x's unit.",
    )
    kind = "against"

    def __init__(self, key: Hashable, **params: Any) -> None:
        super().__init__(key, **params)
        self._x = None if self.x_key is None else AsOfKey(self.x_key)
        self._seen = 0
        self._lost = 0
        self._extent: tuple[float, float] | None = None
        # Per x bin (by its index along x): count, sum and sum of squares of y.
        self._bins: dict[int, list[float]] = {}
        self._x_unit: sc.Unit | None = None
        name = f"against:{key}"
        if self.frame_ndim == 0:
            self.source = ColumnDataSource(data=columns("x", "y", "time"), name=name)
            self.binned = ColumnDataSource(
                data={"x": [], "mean": [], "low": [], "high": [], "count": []},
                name=f"against-binned:{key}",
            )
        else:
            data = columns("image", "x", "y", "dw", "dh")
            self.source = ColumnDataSource(data=data, name=name)

    # Subscription ------------------------------------------------------------
    def make_extractor(self) -> UpdateExtractor:
        return RecentFramesExtractor()

    @property
    def extractors(self) -> dict[Hashable, UpdateExtractor]:
        extractors = super().extractors
        if self._x is not None:
            extractors[self._x.key] = self._x.extractor
        return extractors

    def trigger(self, store: Mapping[Hashable, Any]) -> None:
        if self._x is not None:
            self._x.take(store)
        super().trigger(store)

    def _divided(self, value: Any) -> Any:
        # New frames are divided one by one in `_show`, not the whole `Recent`.
        return value

    # Building ----------------------------------------------------------------
    def _build_steps(self) -> Generator[None, None, LayoutDOM]:
        if self.frame_ndim == 0:
            self._fig = self._figure(y_range=Range1d(0, 1))
            yield  # the figure is about half of it (decision 064)
            self._time_colours = LinearColorMapper(palette="Viridis256")
            points = drop_unseen_glyphs(
                self._fig.scatter(
                    "x",
                    "y",
                    source=self.source,
                    size=4,
                    line_color=None,
                    fill_color={"field": "time", "transform": self._time_colours},
                )
            )
            self._means = drop_unseen_glyphs(
                self._fig.scatter(
                    "x", "mean", source=self.binned, size=7, color="#c00000"
                )
            )
            self._spread = drop_unseen_glyphs(
                self._fig.segment(
                    "x", "low", "x", "high", source=self.binned, color="#c00000"
                )
            )
            self._hover = HoverTool(
                renderers=[points],
                tooltips=[("x", "@x"), ("y", "@y"), ("time", "@time{local}")],
                formatters={"@time": local_time_hover()},
            )
            self._fig.add_tools(self._hover)
            self._use_value_axis(self._fig.y_range)
            self._show_mode()
        else:
            self._fig = self._figure()
            yield
            self._mapper = LinearColorMapper(palette="Viridis256")
            self._color_bar = add_image(self._fig, self.source, self._mapper)
        self._fig.name = f"figure:against:{self.label}"
        return self._fig

    def _extent_label(self) -> str:
        return f"against {self.x_key}" if self.x_key is not None else "against ?"

    def _controls(self) -> list[pn.viewable.Viewable]:
        width = pn.widgets.FloatInput.from_param(
            self.param.bin_width, name="x bin width", width=110
        )
        if self.frame_ndim == 1:
            return [width]
        mode = pn.widgets.RadioButtonGroup.from_param(self.param.mode, width=140)
        return [mode, width]

    @param.depends("mode", "bin_width", watch=True)
    def _on_mode(self) -> None:
        if self.frame_ndim == 1:
            return  # rows already drawn keep their height; new ones take it
        self._rebin()
        if self._root is not None:
            self._show_mode()

    def _show_mode(self) -> None:
        binned = self.mode == BINNED
        self._means.visible = self._spread.visible = binned
        self._send_bins()

    # Drawing -----------------------------------------------------------------
    def _clear_view(self) -> None:
        self.source.data = columns(*self.source.data)
        self._seen = 0
        self._extent = None
        self._bins.clear()
        if self.frame_ndim == 0:
            self.binned.data = {name: [] for name in self.binned.data}
        self._forget_range()

    def _time_of(self, value: Any) -> int | None:
        times = value.times_ns if isinstance(value, Recent) else ()
        return int(times[-1]) if len(times) else None

    def _show(self, value: Recent) -> None:
        if self._x is None:
            raise ValueError(NO_X_KEY)
        self._x.catch_up()
        frames, times, lost = value.since(self._seen)
        self._seen = value.appended
        self._lost += lost
        if frames is None:
            return
        if frames.ndim != self.frame_ndim + 1:
            raise ValueError(
                f"expected {self.frame_ndim}-D frames, got dims {frames.dims[1:]}"
            )
        if self._normaliser is not None:
            frames = self._normaliser.divide(frames)
        x = self._x.history.as_of(times)
        self._unit = frames.unit
        self._x_unit = self._x.history.unit
        paired = np.isfinite(x.values)
        if not paired.any():
            self._note = f"no value of {self._x.key!r} as of these frames"
            return
        self._note = ""
        xs = x.values[paired]
        if not paired.all():
            frames = frames[sc.array(dims=[TIME_DIM], values=paired)]
        if self.frame_ndim == 0:
            self._add_points(xs, frames)
        else:
            self._add_rows(xs, frames)
        self._label(frames)

    def _add_points(self, xs: np.ndarray, frames: sc.DataArray) -> None:
        ys = masked_values(frames)
        times_ms = epoch_ms(frames.coords[TIME_DIM])
        # Lists, also in the plot's own columns: Bokeh extends a list in place
        # but copies an array whole, which would cost the plot's size per frame.
        self.source.stream(
            {"x": xs.tolist(), "y": ys.tolist(), "time": times_ms.tolist()},
            rollover=MAX_POINTS,
        )
        self._widen(ys)
        self._bin(xs, ys)
        if self.mode == BINNED:
            self._send_bins()

    def _widen(self, values: np.ndarray) -> None:
        """Widen the extent of every value drawn by the finite ones of `values`,
        and let the range take it in."""
        finite = values[np.isfinite(values)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            if self._extent is not None:
                low, high = min(low, self._extent[0]), max(high, self._extent[1])
            self._extent = (low, high)
        self._take_in(self._extent)

    def _bin(self, xs: np.ndarray, ys: np.ndarray) -> None:
        width = self.bin_width
        for x, y in zip(xs, ys, strict=True):
            if not math.isfinite(y):
                continue
            stats = self._bins.setdefault(math.floor(x / width), [0.0, 0.0, 0.0])
            stats[0] += 1
            stats[1] += y
            stats[2] += y * y

    def _rebin(self) -> None:
        self._bins.clear()
        data = self.source.data
        self._bin(np.asarray(data["x"]), np.asarray(data["y"], dtype=np.float64))

    def _send_bins(self) -> None:
        if self.mode != BINNED or not self._bins:
            if len(self.binned.data["x"]):
                self.binned.data = {name: [] for name in self.binned.data}
            return
        index = np.fromiter(self._bins, dtype=np.int64)
        stats = np.array(list(self._bins.values()))
        count, total, squares = stats.T
        mean = total / count
        spread = np.sqrt(np.maximum(squares / count - mean**2, 0.0))
        self.binned.data = {
            "x": (index + 0.5) * self.bin_width,
            "mean": mean,
            "low": mean - spread,
            "high": mean + spread,
            "count": count,
        }

    def _add_rows(self, xs: np.ndarray, frames: sc.DataArray) -> None:
        dim = frames.dims[1]
        edges = edges_of(frames.coords.get(dim, None), frames.sizes[dim])
        rows = masked_values(frames).astype(np.float32)
        n = len(xs)
        self.source.stream(
            {
                "image": [row[np.newaxis, :] for row in rows],
                "x": [float(edges[0])] * n,
                "y": (xs - self.bin_width / 2).tolist(),
                "dw": [float(edges[-1] - edges[0])] * n,
                "dh": [self.bin_width] * n,
            },
            rollover=MAX_ROWS,
        )
        self._widen(rows)

    def _label(self, frames: sc.DataArray) -> None:
        x_label = axis_label(str(self.x_key), self._x_unit)
        if self.frame_ndim == 0:
            y_label = axis_label(frames.name or str(self.key), frames.unit)
        else:
            dim = frames.dims[1]
            coord = frames.coords.get(dim, None)
            # The map's rows lie at x: the frames' own dim runs across.
            x_label, y_label = (
                axis_label(dim, None if coord is None else coord.unit),
                x_label,
            )
        unit = unit_label(frames.unit) if self.frame_ndim == 1 else ""
        if not self._titles_changed((x_label, y_label, unit)):
            return
        if self.frame_ndim == 1:
            self._color_bar.title = unit
        self._fig.xaxis[0].axis_label = x_label
        self._fig.yaxis[0].axis_label = y_label

    def _set_value_range(self, low: float, high: float) -> None:
        self._mapper.update(low=low, high=high)
