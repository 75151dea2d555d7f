"""ImagePlotter: the latest 2-D value of a key, e.g. a detector panel."""

from __future__ import annotations

from typing import Any

import numpy as np
import panel as pn
import param
import scipp as sc
from bokeh.models import (
    LayoutDOM,
    LinearColorMapper,
    LogColorMapper,
)

from .base import Plotter, add_image, image_source
from .columns import axis_label, color_range, extent, plottable, unit_label


class ImagePlotter(Plotter):
    """Latest value of a 2-D DataArray as an image with a colour bar in its unit."""

    log_color = param.Boolean(default=False, doc="Logarithmic colour scale.")
    palette = param.String(default="Viridis256", doc="Bokeh palette name.")

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.source = image_source(f"image:{key}")

    def _build(self) -> LayoutDOM:
        mapper_type = LogColorMapper if self.log_color else LinearColorMapper
        self._mapper = mapper_type(palette=self.palette, nan_color="rgba(0,0,0,0)")
        self._fig = self._figure(match_aspect=True)
        self._color_bar = add_image(self._fig, self.source, self._mapper)
        return self._fig

    @param.depends("log_color", watch=True)
    def _on_scale(self) -> None:
        self._rebuild()

    def _layout(self, pane: pn.pane.Bokeh) -> pn.viewable.Viewable:
        toggle = pn.widgets.Checkbox.from_param(self.param.log_color, name="log color")
        return pn.Column(toggle, pane)

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
        self._mapper.low, self._mapper.high = color_range(image, log=self.log_color)
        self._set_labels(
            axis_label(x_dim, x_coord.unit if x_coord is not None else None),
            axis_label(y_dim, y_coord.unit if y_coord is not None else None),
            unit_label(value.unit),
        )

    def _set_labels(self, x_label: str, y_label: str, unit: str) -> None:
        # Setting an unchanged property still sends a patch: compare first.
        if self._fig.xaxis[0].axis_label != x_label:
            self._fig.xaxis[0].axis_label = x_label
        if self._fig.yaxis[0].axis_label != y_label:
            self._fig.yaxis[0].axis_label = y_label
        if self._color_bar.title != unit:
            self._color_bar.title = unit

    def _set_header(self, text: str) -> None:
        self._fig.title.text = text
