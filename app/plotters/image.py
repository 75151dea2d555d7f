"""ImagePlotter: the latest 2-D value of a key, e.g. a detector panel."""

from __future__ import annotations

from collections.abc import Generator
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
    LogColorMapper,
)

from app.plotters.base import add_image, draw_image, image_source
from app.plotters.columns import (
    axis_label,
    columns_as_built,
    edges_of,
    is_uniform,
    masked_values,
    plottable,
    uniform_cells,
    unit_label,
    values_note,
)
from app.plotters.figure_plot import FigurePlotter, reference_time
from app.plotters.scale import extent_of

MAX_STRIPS = 1024
"""Strips (columns or rows of bins) drawn as images of their own when bin edges
are uneven; beyond, the axis is resampled onto even cells (decision 044)."""

MAX_CELLS = 1024
"""Even cells across an axis of uneven bins that is resampled for display."""

# Uneven bins along one axis arrive as one image with that axis's edges; the
# browser cuts it into strips, one image each, drawn between their edges. One
# image per strip sent from here would cost a websocket write per strip.
SPLIT_STRIPS_JS = """
const d = source.data;
if (d.image.length === 0) {
  target.data = {image: [], x: [], y: [], dw: [], dh: []};
  return;
}
const image = d.image[0];
const [rows, cols] = image.shape;
const edges = d.edges[0];
const along_x = d.axis[0] === "x";
const n = along_x ? cols : rows;
const images = [], x = [], y = [], dw = [], dh = [];
for (let i = 0; i < n; i++) {
  const strip = along_x
    ? new image.constructor(rows, [rows, 1])
    : new image.constructor(cols, [1, cols]);
  if (along_x) {
    for (let j = 0; j < rows; j++) strip[j] = image[j * cols + i];
  } else {
    strip.set(image.subarray(i * cols, (i + 1) * cols));
  }
  images.push(strip);
  const low = Math.min(edges[i], edges[i + 1]);
  const width = Math.abs(edges[i + 1] - edges[i]);
  x.push(along_x ? low : d.start[0]);
  dw.push(along_x ? width : d.span[0]);
  y.push(along_x ? d.start[0] : low);
  dh.push(along_x ? d.span[0] : width);
}
target.data = {image: images, x, y, dw, dh};
"""


class ImagePlotter(FigurePlotter):
    """Latest value of a 2-D DataArray as an image with a colour bar in its unit.

    A 3-D value is drawn as its sum over its first dim (masked values left
    out of the sum), and the header says so.
    """

    log_color = param.Boolean(default=False, doc="Logarithmic colour scale.")
    palette = param.String(default="Viridis256", doc="Bokeh palette name.")
    kind = "image"
    keeps_reference = True

    def __init__(self, key: Any, **params: Any) -> None:
        super().__init__(key, **params)
        self.source = image_source(f"image:{key}")
        # Bins of uneven width along one axis: the image and that axis's edges,
        # cut into strips in the browser; empty while edges are even.
        self.strips = ColumnDataSource(
            data={"image": [], "edges": [], "axis": [], "start": [], "span": []},
            name=f"strips:{key}",
        )
        self._summed_dim: str | None = None

    def _build_steps(self) -> Generator[None, None, LayoutDOM]:
        transparent = "rgba(0,0,0,0)"
        # Both mappers live as long as the figure: a log toggle swaps which one
        # colours the image, and the figure (with the operator's zoom) stays.
        self._mappers = {
            False: LinearColorMapper(palette=self.palette, nan_color=transparent),
            True: LogColorMapper(palette=self.palette, nan_color=transparent),
        }
        self._mapper = self._mappers[self.log_color]
        # A log toggle only points the images at the other mapper.
        # Tags hold both mappers in the document from the start, and the
        # strips' source, which is not drawn itself.
        self._fig = self._figure(
            match_aspect=False, tags=[*self._mappers.values(), self.strips]
        )
        yield  # the figure is about half of it (decision 064)
        self._fig.name = f"figure:image:{self.label}"
        self._color_bar = add_image(self._fig, self.source, self._mapper)
        (self._image,) = self._fig.renderers
        strip_images = image_source(f"strip-images:{self.label}")
        # Cut in the browser: sending the strips back would cost the server
        # a decode of the whole image per frame.
        strip_images.syncable = False
        self._strip_image = draw_image(self._fig, strip_images, self._mapper)
        self.strips.js_on_change(
            "data",
            CustomJS(
                args={"source": self.strips, "target": strip_images},
                code=SPLIT_STRIPS_JS,
            ),
        )
        self._hover = HoverTool(
            renderers=[self._image, self._strip_image],
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
        self._strip_image.glyph.color_mapper = self._mapper
        self._color_bar.color_mapper = self._mapper
        if self._last_value is not None:
            self._show(self._last_value)
        else:
            self._apply_range()

    def _controls(self) -> list[pn.viewable.Viewable]:
        return [pn.widgets.Checkbox.from_param(self.param.log_color, name="log color")]

    def _clear_view(self) -> None:
        self.source.data = {key: [] for key in self.source.data}
        self.strips.data = {key: [] for key in self.strips.data}
        self._forget_range()

    def _extent_label(self) -> str:
        return f"sum over {self._summed_dim}" if self._summed_dim else ""

    def reference_frame(self) -> sc.DataArray | None:
        value = self._last_value
        if not isinstance(value, sc.DataArray) or value.ndim not in (2, 3):
            return None
        # What the image draws: a volume's sum over its first dim.
        return value.sum(value.dims[0]) if value.ndim == 3 else value

    def _show(self, value: sc.DataArray) -> None:
        if value.ndim == 3:
            self._summed_dim = value.dims[0]
            value = value.sum(self._summed_dim)
        else:
            self._summed_dim = None
        if self._reference is not None:
            value = self._minus_reference(value)
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
        x_unit = x_coord.unit if x_coord is not None else None
        y_unit = y_coord.unit if y_coord is not None else None
        # Set before the data, whose change makes the browser fit the ranges.
        # Equal scales only where both axes measure the same thing: 8 mm of
        # pixels against 100 ms of time of flight drew a line, not an image.
        if self._fig.match_aspect != (x_unit == y_unit):
            self._fig.match_aspect = x_unit == y_unit
        x_edges, y_edges, image = _even_but_one(x_edges, y_edges, image)
        if is_uniform(x_edges) and is_uniform(y_edges):
            self._show_image(image, x_edges, y_edges)
        else:
            self._show_strips(image, x_edges, y_edges)
        self._take_in(extent_of(image, log=self.log_color))
        self._set_labels(
            axis_label(x_dim, x_unit),
            axis_label(y_dim, y_unit),
            unit_label(value.unit),
        )

    def _minus_reference(self, value: sc.DataArray) -> sc.DataArray:
        """The frame less the reference (decision 094), or the frame as it is
        with the header saying why the reference does not fit it."""
        reference = self._reference
        taken = reference_time(reference)
        fits = value.dims == reference.dims and value.shape == reference.shape
        if fits:
            for dim in value.dims:
                mine, theirs = value.coords.get(dim), reference.coords.get(dim)
                if (mine is None) != (theirs is None) or (
                    mine is not None and not sc.identical(mine, theirs)
                ):
                    fits = False
        if not fits:
            self._reference_note = (
                f"reference of {taken} does not fit: {dict(reference.sizes)} "
                f"and coords must be as the frame's {dict(value.sizes)}"
            )
            return value
        try:
            data = value.data - reference.data
        except sc.UnitError as error:
            self._reference_note = f"reference of {taken} does not fit: {error}"
            return value
        self._reference_note = f"less the reference of {taken}"
        masks = {**reference.masks, **value.masks}
        for name in set(reference.masks) & set(value.masks):
            masks[name] = value.masks[name] | reference.masks[name]
        coords = {dim: value.coords[dim] for dim in value.dims if dim in value.coords}
        return sc.DataArray(data, coords=coords, masks=masks, name=value.name)

    def _show_image(
        self, image: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray
    ) -> None:
        if len(self.strips.data["image"]):
            self.strips.data = {key: [] for key in self.strips.data}
        with columns_as_built():
            self.source.data = {
                "image": [image],
                "x": [x_edges[0]],
                "y": [y_edges[0]],
                "dw": [x_edges[-1] - x_edges[0]],
                "dh": [y_edges[-1] - y_edges[0]],
            }

    def _show_strips(
        self, image: np.ndarray, x_edges: np.ndarray, y_edges: np.ndarray
    ) -> None:
        if len(self.source.data["image"]):
            self.source.data = {key: [] for key in self.source.data}
        along_x = not is_uniform(x_edges)
        edges, other = (x_edges, y_edges) if along_x else (y_edges, x_edges)
        self.strips.data = {
            "image": [image],
            "edges": [edges],
            "axis": ["x" if along_x else "y"],
            "start": [min(other[0], other[-1])],
            "span": [abs(other[-1] - other[0])],
        }

    def _set_value_range(self, low: float, high: float) -> None:
        self._mapper.update(low=low, high=high)

    def _set_labels(self, x_label: str, y_label: str, unit: str) -> None:
        if not self._titles_changed((x_label, y_label, unit)):
            return
        self._fig.xaxis[0].axis_label = x_label
        self._fig.yaxis[0].axis_label = y_label
        self._color_bar.title = unit
        self._hover.tooltips = [
            (x_label, "$x"),
            (y_label, "$y"),
            (f"value [{unit}]", "@image"),
        ]


def _even_but_one(
    x_edges: np.ndarray, y_edges: np.ndarray, image: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return edges and image with at most one axis of uneven bins, in strips
    of at most `MAX_STRIPS`: others are resampled onto even cells."""
    x_strips = not is_uniform(x_edges) and x_edges.size - 1 <= MAX_STRIPS
    if not is_uniform(x_edges) and not x_strips:
        columns = uniform_cells(x_edges, MAX_CELLS)
        image = image[:, columns]
        x_edges = np.linspace(x_edges[0], x_edges[-1], columns.size + 1)
    y_strips = not is_uniform(y_edges) and y_edges.size - 1 <= MAX_STRIPS
    if not is_uniform(y_edges) and (x_strips or not y_strips):
        rows = uniform_cells(y_edges, MAX_CELLS)
        image = image[rows, :]
        y_edges = np.linspace(y_edges[0], y_edges[-1], rows.size + 1)
    return x_edges, y_edges, image
