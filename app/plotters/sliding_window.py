"""SlidingWindowPlotter: the last n frames of a key, streaming only new frames.

0-D frames become a time series against their ``time`` coord; 1-D frames a
waterfall, one image row per frame. Each update sends the browser only the
frames newer than the last one drawn (``ColumnDataSource.stream`` with
``rollover=n``), never the whole window again.

The waterfall's rows are streamed into a source that is not drawn; a small
browser-side callback stacks them into the one image that is drawn. Drawing
each row as an image of its own cost BokehJS a canvas per row and frame.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import panel as pn
import param
import scipp as sc
from bokeh.models import (
    ColumnDataSource,
    CustomJS,
    HoverTool,
    LayoutDOM,
    LinearColorMapper,
    Range1d,
)

from app.alarm_limits import AlarmLimits
from app.data import TimeWindowExtractor, UpdateExtractor, WindowExtractor
from app.durations import format_seconds
from app.limits import MAX_WINDOW_SIZE
from app.plotters.base import add_image, image_source
from app.plotters.columns import (
    TIME_DIM,
    axis_label,
    columns_as_built,
    edges_of,
    is_uniform,
    masked_values,
    once_per_value,
    times_ns,
    uniform_cells,
    unit_label,
)
from app.plotters.figure_plot import FigurePlotter
from app.plotters.image import MAX_CELLS
from app.plotters.limit_bands import LimitBands
from app.plotters.local_time import local_time_axis, local_time_hover, row_time_hover
from app.plotters.scale import Extent
from app.plotters.shared import drop_unseen_glyphs, share_axis

logger = logging.getLogger(__name__)

FALLBACK_ROW_MS = 200.0

PX_PER_TIME_TICK = 110
"""Room for one label of a horizontal time axis ("hh:mm:ss" is about 64 px)."""

INLINE_ROWS = 64
"""A stream of at most this many points goes as JSON lists inside the message:
each binary buffer would cost the server two more websocket writes per frame
and session (measured, a third of a frame's time went to socket writes)."""

STACK_ROWS_JS = """
const rows = source.data.row;
const n = rows.length;
if (n === 0) {
  target.data = {image: [], x: [], y: [], dw: [], dh: []};
  return;
}
const bins = rows[0].length;
// Rows arrive as BokehJS ndarrays; their class builds the stacked (n, bins) one.
const image = new rows[0].constructor(n * bins, [n, bins]);
for (let i = 0; i < n; i++) {
  image.set(rows[i], i * bins);
}
const start = source.data.start;
const end = source.data.time;
target.data = {
  image: [image],
  x: [source.data.x0[n - 1]],
  y: [start[0]],
  dw: [source.data.dw[n - 1]],
  dh: [end[n - 1] - start[0]],
};
"""


@dataclass(frozen=True)
class WindowUpdate:
    """What a window plot must send: new frames appended, or all shown anew."""

    frames: sc.DataArray
    reset: bool


@once_per_value
def frame_times_ns(window: sc.DataArray) -> np.ndarray:
    """Return the window's 1-D ``time`` coord as int64 ns since the epoch,
    read-only: it is computed once for every session's plot of the window."""
    times = times_ns(window.coords[TIME_DIM]).view()
    times.flags.writeable = False
    return times


def window_update(
    window: sc.DataArray,
    *,
    last_time_ns: int | None,
    shown: int,
    window_size: int,
    times: np.ndarray | None = None,
) -> WindowUpdate | None:
    """Work out which frames of ``window`` the browser has not seen yet.

    Parameters
    ----------
    window:
        The extracted window, stacked along ``time`` with a 1-D ``time`` coord.
    last_time_ns:
        Time of the newest frame drawn so far, ``None`` if nothing was drawn.
    shown:
        Number of frames the browser holds now.
    window_size:
        The window's ``n``; the browser never holds more.
    times:
        The window's times as `frame_times_ns` gives them, if already read.

    Returns
    -------
    :
        ``None`` if nothing is new; a reset when the history restarted (the
        window is shorter than old plus new frames, or time went backwards).
    """
    if times is None:
        times = frame_times_ns(window)
    if last_time_ns is None:
        return WindowUpdate(frames=window, reset=True)
    is_new = times > last_time_ns
    n_new = int(is_new.sum())
    continues = n_new == 0 or bool(is_new[-n_new:].all())
    expected = min(window_size, shown + n_new)
    went_back = times.size > 0 and int(times[-1]) < last_time_ns
    if len(times) < expected or went_back or not continues:
        return WindowUpdate(frames=window, reset=True)
    if n_new == 0:
        return None
    return WindowUpdate(frames=newest_frames(window, n_new), reset=False)


@once_per_value
def _tails(window: sc.DataArray) -> dict[int, sc.DataArray]:
    """The newest frames of `window` sliced so far, by their count: a memo
    that `newest_frames` alone fills (what it hands out is never changed)."""
    return {}


def newest_frames(window: sc.DataArray, count: int) -> sc.DataArray:
    """The newest `count` frames of `window`: sliced once for every session's
    plot of the window, which all draw the same new frames."""
    tails = _tails(window)
    frames = tails.get(count)
    if frames is None:
        frames = tails[count] = window[TIME_DIM, window.sizes[TIME_DIM] - count :]
    return frames


def rows_extent(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each frame's lowest and highest value (NaN for a row of no numbers)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        return values, values
    values = np.where(np.isfinite(values), values, np.nan)
    # fmin/fmax skip NaN without warning about rows that are all NaN.
    return np.fmin.reduce(values, axis=1), np.fmax.reduce(values, axis=1)


@once_per_value
def frames_extent(frames: sc.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """`rows_extent` of the frames' shown values, read-only: computed once for
    every session's plot of the same frames."""
    lows, highs = rows_extent(masked_values(frames))
    if lows is highs:  # 0-D frames: the values themselves, copied to freeze
        lows = highs = lows.copy()
    lows.flags.writeable = False
    highs.flags.writeable = False
    return lows, highs


def window_extent(lows: np.ndarray, highs: np.ndarray) -> Extent | None:
    """Return the extent of a window from its frames' extents, None if empty."""
    if lows.size == 0:
        return None
    low, high = np.fmin.reduce(lows), np.fmax.reduce(highs)
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return float(low), float(high)


class SlidingWindowPlotter(FigurePlotter):
    """The last ``window_size`` frames of a 0-D (time series) or 1-D (waterfall) key.

    The operator changes ``window_size`` from the UI: the subscription is
    replaced by one with a new ``WindowExtractor`` (the buffer grows) and the
    current window is drawn anew.
    """

    window_size = param.Integer(
        default=100, bounds=(1, MAX_WINDOW_SIZE), doc="Frames shown (n)."
    )
    frame_ndim = param.Selector(default=0, objects=[0, 1], constant=True)
    seconds = param.Number(
        default=None,
        allow_None=True,
        bounds=(0, None),
        inclusive_bounds=(False, True),
        constant=True,
        doc="Show the frames of the last `seconds` instead of the last n.",
    )
    kind = "window"

    def __init__(self, key: Any, **params: Any) -> None:
        super().__init__(key, **params)
        # A time window's plots are named apart from a frame window's of the key.
        self._prefix = "" if self.seconds is None else "time-"
        # Each shown frame's lowest and highest value: the value range of a
        # frame costs the new frames only, not the whole window (decision 041).
        self._lows = np.empty(0)
        self._highs = np.empty(0)
        self._last_time_ns: int | None = None
        # The window last shown: its newest time is `_last_time_ns`.
        self._shown_window: sc.DataArray | None = None
        self._shown = 0
        self._needs_reset = False
        self._structure: tuple | None = None
        self._row_cells: np.ndarray | None = None
        self._row_extent = (0.0, 1.0)
        self._limits: AlarmLimits | None = None
        self._bands = LimitBands()
        if self.frame_ndim == 0:
            columns = {"time": [], "value": []}
        else:
            columns = {"row": [], "start": [], "time": [], "x0": [], "dw": []}
        self.source = ColumnDataSource(data=columns, name=f"{self._prefix}window:{key}")

    def make_extractor(self) -> UpdateExtractor:
        if self.seconds is not None:
            return TimeWindowExtractor(self.seconds)
        return WindowExtractor(self.window_size)

    @property
    def shown(self) -> int:
        """Number of frames the browser holds."""
        return self._shown

    # Building ----------------------------------------------------------------
    def _build_steps(self) -> Generator[None, None, LayoutDOM]:
        time_axis = f"time-axis:{self.label}"
        if self.frame_ndim == 0:
            self._fig = self._figure(x_axis_type="datetime", y_range=Range1d(0, 1))
            yield  # the figure is about half of it (decision 064)
            line = drop_unseen_glyphs(
                self._fig.line("time", "value", source=self.source, line_width=1.5)
            )
            local_time_axis(self._fig.xaxis[0], "time", time_axis)
            # Bokeh asks for 6 ticks: at 30 s steps "hh:mm:ss" labels overlapped
            # on a 440 px plot; one tick per 110 px leaves room for each label.
            share_axis(
                self._fig.xaxis[0],
                desired_num_ticks=max(2, round(self.width / PX_PER_TIME_TICK)),
            )
            self._hover = HoverTool(
                renderers=[line],
                mode="vline",
                tooltips=[("time", "@time{local}"), ("value", "@value")],
                formatters={"@time": local_time_hover()},
            )
            self._use_value_axis(self._fig.y_range)
        else:
            # Holding the row source in tags puts it in the document undrawn.
            self._fig = self._figure(y_axis_type="datetime", tags=[self.source])
            yield
            self._mapper = LinearColorMapper(palette="Viridis256")
            image = image_source(f"{self._prefix}waterfall:{self.label}")
            # Stacked in the browser: sending it back would cost the server a
            # decode of the whole window per frame.
            image.syncable = False
            self._color_bar = add_image(self._fig, image, self._mapper)
            stack = CustomJS(
                args={"source": self.source, "target": image}, code=STACK_ROWS_JS
            )
            self.source.js_on_change("streaming", stack)
            self.source.js_on_change("data", stack)
            local_time_axis(self._fig.yaxis[0], "time", time_axis)
            share_axis(self._fig.xaxis[0], desired_num_ticks=4)
            self._hover = HoverTool(
                renderers=list(self._fig.renderers),
                tooltips=[("x", "$x"), ("time", "$y{row}"), ("value", "@image")],
                formatters={"$y": row_time_hover(self.source)},
            )
        self._fig.name = f"figure:{self._prefix}window:{self.label}"
        self._fig.add_tools(self._hover)
        if self._limits is not None:
            self._bands.show(self._fig, self._limits)
        return self._fig

    def show_limits(self, limits: AlarmLimits | None) -> None:
        """A time series draws the limits as bands; a waterfall ignores them."""
        self._limits = limits if self.frame_ndim == 0 else None
        if self._root is not None and self.frame_ndim == 0:
            self._bands.show(self._fig, limits)

    def _extent_label(self) -> str:
        if self.seconds is not None:
            return f"last {format_seconds(self.seconds)}"
        return f"last {self.window_size}"

    def _controls(self) -> list[pn.viewable.Viewable]:
        if self.seconds is not None:
            return []
        return [
            pn.widgets.IntInput.from_param(
                self.param.window_size,
                name="window (frames)",
                width=140,
                css_classes=["window-size"],
            )
        ]

    @param.depends("window_size", watch=True)
    def _on_window_size(self) -> None:
        with self._lock:
            self._needs_reset = True
        data_service = self._data_service
        if data_service is not None:
            # keys/extractors are read once at registration: register anew.
            self.unsubscribe()
            self.subscribe(data_service, replay=True)

    # Drawing -----------------------------------------------------------------
    def _clear_view(self) -> None:
        self.source.data = {key: [] for key in self.source.data}
        self._last_time_ns, self._shown, self._structure = None, 0, None
        self._shown_window = None
        self._lows, self._highs = np.empty(0), np.empty(0)
        self._forget_range()

    def _show(self, value: Any) -> None:
        if not isinstance(value, sc.DataArray) or TIME_DIM not in value.coords:
            raise TypeError("a window needs a DataArray with a time coord")
        if value.ndim != self.frame_ndim + 1:
            raise ValueError(
                f"expected {self.frame_ndim}-D frames, got window dims {value.dims}"
            )
        with self._lock:
            force_reset, self._needs_reset = self._needs_reset, False
        structure = self._structure_of(value)
        # A time window holds what its time span holds: that many frames.
        size = self.window_size if self.seconds is None else value.sizes[TIME_DIM]
        # Read once a frame: every session's window reads its times each frame.
        times = frame_times_ns(value)
        update = window_update(
            value,
            last_time_ns=None if force_reset else self._last_time_ns,
            shown=self._shown,
            window_size=size,
            times=times,
        )
        if update is None:
            return
        if structure != self._structure:
            update = WindowUpdate(frames=value, reset=True)
            self._structure = structure
        self._unit = value.unit
        new_times = times[len(times) - update.frames.sizes[TIME_DIM] :]
        columns = self._columns(update.frames, new_times / 1e6, reset=update.reset)
        lows, highs = frames_extent(update.frames)
        if update.reset:
            with columns_as_built():
                self.source.data = columns
            self._shown = update.frames.sizes[TIME_DIM]
            self._lows, self._highs = lows, highs
        else:
            with columns_as_built():
                self.source.stream(columns, rollover=size)
            self._shown = min(size, self._shown + update.frames.sizes[TIME_DIM])
            self._lows = np.concatenate([self._lows, lows])[-self._shown :]
            self._highs = np.concatenate([self._highs, highs])[-self._shown :]
        self._last_time_ns = int(times[-1])
        self._shown_window = value
        self._take_in(window_extent(self._lows, self._highs))
        self._label(value)

    def _time_of(self, value: Any) -> int | None:
        if value is self._shown_window:  # the window just shown
            return self._last_time_ns
        # Frames are stacked in the order they arrived: the newest is the last.
        times = frame_times_ns(value)
        return int(times[-1]) if times.size else None

    def _structure_of(self, window: sc.DataArray) -> tuple:
        if self.frame_ndim == 0:
            return (window.unit,)
        dim = window.dims[1]
        coord = window.coords.get(dim, None)
        edges = edges_of(coord, window.sizes[dim])
        # Rows of uneven bins are resampled onto even cells, the way the one
        # stacked image can draw them (decision 044).
        self._row_cells = None if is_uniform(edges) else uniform_cells(edges, MAX_CELLS)
        self._row_extent = float(edges[0]), float(edges[-1] - edges[0])
        uneven = None if self._row_cells is None else edges.tobytes()
        return (window.unit, dim, self._row_extent, uneven)

    def _columns(
        self, frames: sc.DataArray, times_ms: np.ndarray, *, reset: bool
    ) -> dict[str, Any]:
        """The source's columns of `frames`, stamped `times_ms` (ms since the
        epoch, from the times already read: no conversion per frame)."""
        if self.frame_ndim == 0:
            values = masked_values(frames)
            if not reset and len(values) <= INLINE_ROWS:
                return {"time": times_ms.tolist(), "value": values.tolist()}
            return {"time": times_ms, "value": values}
        previous_ms = None if reset else self._last_time_ns / 1e6
        starts = _row_starts(times_ms, previous_ms)
        x0, dw = self._row_extent
        rows = masked_values(frames).astype(np.float32)
        if self._row_cells is not None:
            rows = rows[:, self._row_cells]
        columns: dict[str, Any] = {
            "start": starts,
            "time": times_ms,
            "x0": np.full(len(rows), x0),
            "dw": np.full(len(rows), dw),
        }
        if not reset and len(rows) <= INLINE_ROWS:
            # A frame's few numbers per column go inside the message: as
            # arrays they were four binary buffers of 8 bytes (see INLINE_ROWS).
            columns = {name: column.tolist() for name, column in columns.items()}
        # Rows stay arrays: the browser builds the stacked image from their class.
        return {"row": list(rows), **columns}

    def _label(self, window: sc.DataArray) -> None:
        if self.frame_ndim == 0:
            labels = (axis_label(window.name or "value", window.unit),)
        else:
            dim = window.dims[1]
            coord = window.coords.get(dim, None)
            unit = coord.unit if coord is not None else None
            labels = (axis_label(dim, unit), unit_label(window.unit))
        if not self._titles_changed(labels):
            return
        if self.frame_ndim == 0:
            self._fig.yaxis[0].axis_label = labels[0]
            return
        self._fig.xaxis[0].axis_label = labels[0]
        self._color_bar.title = labels[1]

    def _set_value_range(self, low: float, high: float) -> None:
        self._mapper.update(low=low, high=high)


def _row_starts(times_ms: np.ndarray, previous_ms: float | None) -> np.ndarray:
    """Return where each waterfall row starts: at the frame before it."""
    if previous_ms is None:
        gaps = np.diff(times_ms)
        typical = float(np.median(gaps)) if gaps.size else FALLBACK_ROW_MS
        previous_ms = times_ms[0] - typical
    return np.concatenate([[previous_ms], times_ms[:-1]])
