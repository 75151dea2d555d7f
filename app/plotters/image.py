"""ImagePlotter: the latest 2-D value of a key, e.g. a detector panel."""

from __future__ import annotations

from typing import Any

import numpy as np
import panel as pn
import param
import scipp as sc
from bokeh.models import (
    HoverTool,
    LayoutDOM,
    LinearColorMapper,
    LogColorMapper,
)

from .base import add_image, image_source
from .columns import axis_label, extent, plottable, unit_label
from .figure_plot import FigurePlotter
from .scale import extent_of


class ImagePlotter(FigurePlotter):
    """Latest value of a 2-D DataArray as an image with a colour bar in its unit."""

    log_color = param.Boolean(default=False, doc="Logarithmic colour scale.")
    palette = param.String(default="Viridis256", doc="Bokeh palette name.")
    kind = "image"

    def __init__(self, key: Any, **params: Any) -> None:
        super().__init__(key, **params)
        self.source = image_source(f"image:{key}")

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
        self._hover = HoverTool(
            renderers=[self._image],
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
        self._color_bar.color_mapper = self._mapper
        if self._last_value is not None:
            self._show(self._last_value)
        else:
            self._apply_range()

    def _controls(self) -> list[pn.viewable.Viewable]:
        return [pn.widgets.Checkbox.from_param(self.param.log_color, name="log color")]

    def _clear_view(self) -> None:
        self.source.data = {key: [] for key in self.source.data}
        self._forget_range()

    def _show(self, value: sc.DataArray) -> None:
        y_dim, x_dim = value.dims
        x_coord = value.coords.get(x_dim, None)
        y_coord = value.coords.get(y_dim, None)
        x0, dw = extent(x_coord, value.sizes[x_dim])
        y0, dh = extent(y_coord, value.sizes[y_dim])
        image = plottable(value.values, log=self.log_color)
        self._unit = value.unit
        # float32 halves the bytes sent per frame; colours need no more precision.
        self.source.data = {
            "image": [image.astype(np.float32)],
            "x": [x0],
            "y": [y0],
            "dw": [dw],
            "dh": [dh],
        }
        self._take_in(extent_of(image, log=self.log_color))
        self._set_labels(
            axis_label(x_dim, x_coord.unit if x_coord is not None else None),
            axis_label(y_dim, y_coord.unit if y_coord is not None else None),
            unit_label(value.unit),
        )

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
