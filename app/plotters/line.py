"""LinePlotter: the latest 1-D value of a key, e.g. a monitor spectrum."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import panel as pn
import param
import scipp as sc
from bokeh.models import (
    BasicTicker,
    BasicTickFormatter,
    ColumnDataSource,
    CustomJSHover,
    HoverTool,
    LayoutDOM,
    LinearScale,
    LogScale,
    LogTicker,
    LogTickFormatter,
    Range1d,
)

from app.plotters.columns import (
    axis_label,
    centers,
    columns_as_built,
    extent,
    masked_values,
    plottable,
    values_note,
)
from app.plotters.figure_plot import FigurePlotter
from app.plotters.scale import extent_of
from app.plotters.shared import drop_unseen_glyphs, shared

# The bin under the cursor, from edges sent only when they change: the line's
# own source carries centres and is replaced every frame.
BIN_HOVER_JS = """
const e = edges.data.edge;
const i = special_vars.index;
if (e.length === 0 || i + 1 >= e.length) return value.toPrecision(6);
return e[i].toPrecision(6) + " to " + e[i + 1].toPrecision(6);
"""


class LinePlotter(FigurePlotter):
    """Latest value of a 1-D DataArray against its coord, units on both axes."""

    log_y = param.Boolean(default=False, doc="Logarithmic y axis.")
    kind = "line"
    keeps_reference = True

    REFERENCE_COLOUR = "#888888"
    """The reference's dashed line: grey, behind the live data's colour."""

    def __init__(self, key: Any, **params: Any) -> None:
        super().__init__(key, **params)
        self.source = ColumnDataSource(data={"x": [], "y": []}, name=f"line:{key}")
        self.edges = ColumnDataSource(data={"edge": []}, name=f"edges:{key}")
        self._edges_of: sc.Variable | None = None
        self.reference_source: ColumnDataSource | None = None

    def _build_steps(self) -> Generator[None, None, LayoutDOM]:
        # Holding the edges in tags puts them in the document undrawn.
        self._fig = self._figure(y_range=Range1d(0, 1), tags=[self.edges])
        yield  # the figure is about half of it (decision 064)
        self._fig.name = f"figure:line:{self.label}"
        if self._reference is not None:
            # Drawn first, so the live line lies over it; sent once, at build.
            self.reference_source = ColumnDataSource(
                data=self._reference_columns(), name=f"reference:{self.key}"
            )
            drop_unseen_glyphs(
                self._fig.line(
                    "x",
                    "y",
                    source=self.reference_source,
                    line_width=1.5,
                    line_dash="dashed",
                    color=self.REFERENCE_COLOUR,
                )
            )
        line = drop_unseen_glyphs(
            self._fig.line("x", "y", source=self.source, line_width=1.5)
        )
        self._hover = HoverTool(
            renderers=[line],
            mode="vline",
            tooltips=[("bin", "@x{bin}"), ("value", "@y")],
            formatters={
                "@x": CustomJSHover(args={"edges": self.edges}, code=BIN_HOVER_JS)
            },
        )
        self._fig.add_tools(self._hover)
        self._use_value_axis(self._fig.y_range)
        self._set_log_axis(self.log_y)
        return self._fig

    def _log_scale(self) -> bool:
        return self.log_y

    @param.depends("log_y", watch=True)
    def _on_scale(self) -> None:
        # The figure stays: its ranges, and so the operator's zoom, are kept.
        self._change_scale(self.log_y)
        if self._root is None:
            return
        self._set_log_axis(self.log_y)
        if self.reference_source is not None:
            self.reference_source.data = self._reference_columns()
        if self._last_value is not None:
            self._show(self._last_value)
        else:
            self._apply_range()

    def _set_log_axis(self, log: bool) -> None:
        axis = self._fig.yaxis[0]
        if log:
            self._fig.y_scale = LogScale()
            axis.update(ticker=shared(LogTicker), formatter=shared(LogTickFormatter))
        else:
            self._fig.y_scale = LinearScale()
            axis.update(
                ticker=shared(BasicTicker), formatter=shared(BasicTickFormatter)
            )

    def _controls(self) -> list[pn.viewable.Viewable]:
        return [pn.widgets.Checkbox.from_param(self.param.log_y, name="log y")]

    def _clear_view(self) -> None:
        self.source.data = {"x": [], "y": []}
        self._forget_range()

    def reference_frame(self) -> sc.DataArray | None:
        value = self._last_value
        return value if isinstance(value, sc.DataArray) and value.ndim == 1 else None

    def _reference_columns(self) -> dict[str, np.ndarray]:
        reference = self._reference
        x, y = self._columns(reference, masked_values(reference))
        return {"x": x, "y": y}

    def _columns(
        self, value: sc.DataArray, shown: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The line's x (bin centres) and y of a 1-D value whose values as
        shown (masked ones NaN) are ``shown``."""
        (dim,) = value.dims
        coord = value.coords.get(dim, None)
        length = value.sizes[dim]
        x = (
            centers(coord, length)
            if coord is not None
            else sc.arange(dim, length, unit=None).values
        )
        y = plottable(shown, log=self.log_y)
        if length == 1:
            # One point draws no line: the one bin's value spans the bin.
            start, width = extent(coord, 1)
            x, y = np.array([start, start + width]), np.repeat(y, 2)
        return x, y

    def _show(self, value: sc.DataArray) -> None:
        (dim,) = value.dims
        coord = value.coords.get(dim, None)
        length = value.sizes[dim]
        self._unit = value.unit
        shown_values = masked_values(value)
        self._note = values_note(value, shown_values)
        x, y = self._columns(value, shown_values)
        with columns_as_built():
            if np.array_equal(self.source.data["x"], x):
                # The bins stay: only the values go to the browser (half the
                # bytes, one binary buffer fewer in every session's frame).
                self.source.data.update(y=y)
            else:
                self.source.data = {"x": x, "y": y}
        self._show_edges(coord, length)
        shown = extent_of(y, log=self.log_y)
        if self.reference_source is not None:
            # The range holds the reference too: it is there to compare with.
            kept = extent_of(self.reference_source.data["y"], log=self.log_y)
            if shown is None or kept is None:
                shown = shown or kept
            else:
                shown = (min(shown[0], kept[0]), max(shown[1], kept[1]))
        self._take_in(shown)
        x_label = axis_label(dim, coord.unit if coord is not None else None)
        y_label = axis_label(value.name or "value", value.unit)
        if self._titles_changed((x_label, y_label)):
            self._fig.xaxis[0].axis_label = x_label
            self._hover.tooltips = [(x_label, "@x{bin}"), ("value", "@y")]
            self._fig.yaxis[0].axis_label = y_label

    def _show_edges(self, coord: sc.Variable | None, length: int) -> None:
        old = self._edges_of
        if coord is old or (
            coord is not None and old is not None and sc.identical(coord, old)
        ):
            return
        self._edges_of = coord
        is_edges = coord is not None and coord.sizes[coord.dim] == length + 1
        edges = np.asarray(coord.values, dtype=np.float64) if is_edges else []
        if len(edges) or len(self.edges.data["edge"]):
            self.edges.data = {"edge": edges}
