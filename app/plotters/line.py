"""LinePlotter: the latest 1-D value of a key, e.g. a monitor spectrum."""

from __future__ import annotations

from typing import Any

import panel as pn
import param
import scipp as sc
from bokeh.models import ColumnDataSource, LayoutDOM

from .base import Plotter
from .columns import axis_label, centers, plottable


class LinePlotter(Plotter):
    """Latest value of a 1-D DataArray against its coord, units on both axes."""

    log_y = param.Boolean(default=False, doc="Logarithmic y axis.")

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.source = ColumnDataSource(data={"x": [], "y": []}, name=f"line:{key}")

    def _build(self) -> LayoutDOM:
        self._fig = self._figure(y_axis_type="log" if self.log_y else "linear")
        self._fig.line("x", "y", source=self.source, line_width=1.5)
        return self._fig

    @param.depends("log_y", watch=True)
    def _on_scale(self) -> None:
        self._rebuild()

    def _layout(self, pane: pn.pane.Bokeh) -> pn.viewable.Viewable:
        toggle = pn.widgets.Checkbox.from_param(self.param.log_y, name="log y")
        return pn.Column(toggle, pane)

    def _show(self, value: sc.DataArray) -> None:
        (dim,) = value.dims
        coord = value.coords.get(dim, None)
        length = value.sizes[dim]
        x = (
            centers(coord, length)
            if coord is not None
            else sc.arange(dim, length, unit=None).values
        )
        self._unit = value.unit
        self.source.data = {"x": x, "y": plottable(value.values, log=self.log_y)}
        x_label = axis_label(dim, coord.unit if coord is not None else None)
        y_label = axis_label(value.name or "value", value.unit)
        if self._fig.xaxis[0].axis_label != x_label:
            self._fig.xaxis[0].axis_label = x_label
        if self._fig.yaxis[0].axis_label != y_label:
            self._fig.yaxis[0].axis_label = y_label

    def _set_header(self, text: str) -> None:
        self._fig.title.text = text
