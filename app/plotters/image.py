"""ImagePlotter: the latest 2-D value of a key, e.g. a detector panel."""

from __future__ import annotations

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
    LogColorMapper,
)
from bokeh.transform import transform

from .base import add_image, image_source
from .columns import (
    axis_label,
    edges_of,
    is_uniform,
    masked_values,
    plottable,
    uniform_cells,
    unit_label,
    values_note,
)
from .figure_plot import FigurePlotter
from .scale import extent_of

MAX_QUADS = 65_536
"""Bins drawn one rectangle each when their edges are not even (256 x 256);
a larger image of uneven bins is resampled onto even cells (decision 044)."""

MAX_CELLS = 1024
"""Even cells across an axis of uneven bins resampled for display."""

QUAD_COLUMNS = ("left", "right", "bottom", "top")


def quad_columns(x_edges: np.ndarray, y_edges: np.ndarray) -> dict[str, np.ndarray]:
    """Return one rectangle per bin of a ``(y, x)`` image, row by row."""
    nx, ny = x_edges.size - 1, y_edges.size - 1
    return {
        "left": np.tile(x_edges[:-1], ny),
        "right": np.tile(x_edges[1:], ny),
        "bottom": np.repeat(y_edges[:-1], nx),
        "top": np.repeat(y_edges[1:], nx),
    }


class ImagePlotter(FigurePlotter):
    """Latest value of a 2-D DataArray as an image with a colour bar in its unit.

    A 3-D value is drawn as its sum over its first dim (masked values left
    out of the sum), and the header says so.
    """

    log_color = param.Boolean(default=False, doc="Logarithmic colour scale.")
    palette = param.String(default="Viridis256", doc="Bokeh palette name.")
    kind = "image"

    def __init__(self, key: Any, **params: Any) -> None:
        super().__init__(key, **params)
        self.source = image_source(f"image:{key}")
        # Bins of uneven width, one rectangle each; empty while edges are even.
        self.quads = ColumnDataSource(
            data={name: [] for name in (*QUAD_COLUMNS, "image")}, name=f"quads:{key}"
        )
        self._quad_edges: tuple[np.ndarray, np.ndarray] | None = None
        self._summed_dim: str | None = None

    def _build(self) -> LayoutDOM:
        transparent = "rgba(0,0,0,0)"
        # Both mappers live as long as the figure: a log toggle swaps which one
        # colours the image, and the figure (with the operator's zoom) stays.
        self._mappers = {
            False: LinearColorMapper(palette=self.palette, nan_color=transparent),
            True: LogColorMapper(palette=self.palette, nan_color=transparent),
        }
        self._mapper = self._mappers[self.log_color]
        # Tags hold both mappers in the document from the start: a toggle only
        # points the image at the other one.
        self._fig = self._figure(match_aspect=True, tags=list(self._mappers.values()))
        self._fig.name = f"figure:image:{self.label}"
        self._color_bar = add_image(self._fig, self.source, self._mapper)
        (self._image,) = self._fig.renderers
        self._quad = self._fig.quad(
            *QUAD_COLUMNS,
            source=self.quads,
            fill_color=transform("image", self._mapper),
            line_color=None,
        )
        self._hover = HoverTool(
            renderers=[self._image, self._quad],
            tooltips=[("x", "$x"), ("y", "$y"), ("value", "@image")],
        )
        self._fig.add_tools(self._hover)
        return self._fig

    def _log_scale(self) -> bool:
        return self.log_color

    @param.depends("log_color", watch=True)
    def _on_scale(self) -> None:
        self._change_scale(self.log_color)
        if self._root is None:
            return
        self._mapper = self._mappers[self.log_color]
        self._image.glyph.color_mapper = self._mapper
        self._quad.glyph.fill_color = transform("image", self._mapper)
        self._color_bar.color_mapper = self._mapper
        if self._last_value is not None:
            self._show(self._last_value)
        else:
            self._apply_range()

    def _controls(self) -> list[pn.viewable.Viewable]:
        return [pn.widgets.Checkbox.from_param(self.param.log_color, name="log color")]

    def _clear_view(self) -> None:
        self.source.data = {key: [] for key in self.source.data}
        self.quads.data = {key: [] for key in self.quads.data}
        self._quad_edges = None
        self._forget_range()

    def _extent_label(self) -> str:
        return f"sum over {self._summed_dim}" if self._summed_dim else ""

    def _show(self, value: sc.DataArray) -> None:
        if value.ndim == 3:
            self._summed_dim = value.dims[0]
            value = value.sum(self._summed_dim)
        else:
            self._summed_dim = None
        y_dim, x_dim = value.dims
        x_coord = value.coords.get(x_dim, None)
        y_coord = value.coords.get(y_dim, None)
        x_edges = edges_of(x_coord, value.sizes[x_dim])
        y_edges = edges_of(y_coord, value.sizes[y_dim])
        shown = masked_values(value)
        self._note = values_note(value, shown)
        image = plottable(shown, log=self.log_color)
        self._unit = value.unit
        # float32 halves the bytes sent per frame; colours need no more precision.
        image = image.astype(np.float32)
        even = is_uniform(x_edges) and is_uniform(y_edges)
        if even or image.size > MAX_QUADS:
            if not even:
                x_edges, y_edges, image = _resampled(x_edges, y_edges, image)
            self._show_image(image, x_edges, y_edges)
        else:
            self._show_quads(image, x_edges, y_edges)
        self._take_in(extent_of(image, log=self.log_color))
        self._set_labels(
            axis_label(x_dim, x_coord.unit if x_coord is not None else None),
            axis_label(y_dim, y_coord.unit if y_coord is not None else None),
            unit_label(value.unit),
        )

    def _show_image(
        self, image: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray
    ) -> None:
        if self._quad_edges is not None:
            self._quad_edges = None
            self.quads.data = {key: [] for key in self.quads.data}
        self.source.data = {
            "image": [image],
            "x": [x_edges[0]],
            "y": [y_edges[0]],
            "dw": [x_edges[-1] - x_edges[0]],
            "dh": [y_edges[-1] - y_edges[0]],
        }

    def _show_quads(
        self, image: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray
    ) -> None:
        if len(self.source.data["image"]):
            self.source.data = {key: [] for key in self.source.data}
        old = self._quad_edges
        if old is not None and _same(old, (x_edges, y_edges)):
            # Same bins: only the values travel, as an image's would.
            self.quads.data["image"] = image.ravel()
            return
        self._quad_edges = (x_edges, y_edges)
        self.quads.data = {**quad_columns(x_edges, y_edges), "image": image.ravel()}

    def _set_value_range(self, low: float, high: float) -> None:
        self._mapper.update(low=low, high=high)

    def _set_labels(self, x_label: str, y_label: str, unit: str) -> None:
        # Setting an unchanged property still sends a patch: compare first.
        if (self._fig.xaxis[0].axis_label, self._fig.yaxis[0].axis_label) == (
            x_label,
            y_label,
        ) and self._color_bar.title == unit:
            return
        self._fig.xaxis[0].axis_label = x_label
        self._fig.yaxis[0].axis_label = y_label
        self._color_bar.title = unit
        self._hover.tooltips = [
            (x_label, "$x"),
            (y_label, "$y"),
            (f"value [{unit}]", "@image"),
        ]


def _same(
    old: tuple[np.ndarray, np.ndarray], new: tuple[np.ndarray, np.ndarray]
) -> bool:
    return all(
        a.shape == b.shape and np.array_equal(a, b)
        for a, b in zip(old, new, strict=True)
    )


def _resampled(
    x_edges: np.ndarray, y_edges: np.ndarray, image: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``image`` on even cells across the same span (uneven axes only)."""
    if not is_uniform(x_edges):
        columns = uniform_cells(x_edges, MAX_CELLS)
        image = image[:, columns]
        x_edges = np.linspace(x_edges[0], x_edges[-1], columns.size + 1)
    if not is_uniform(y_edges):
        rows = uniform_cells(y_edges, MAX_CELLS)
        image = image[rows, :]
        y_edges = np.linspace(y_edges[0], y_edges[-1], rows.size + 1)
    return x_edges, y_edges, image
