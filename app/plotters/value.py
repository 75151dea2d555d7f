"""ValuePanel: the latest scalar of a key with its unit and age, as text."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

import param
import scipp as sc
from bokeh.models import ColumnDataSource, LayoutDOM, Plot, Range1d, SaveTool, Text

from app.alarm_limits import AlarmLimits
from app.plotters.base import HeaderState, Plotter
from app.plotters.columns import NO_UNIT, columns_as_built, has_unit, once_per_value
from app.plotters.limit_bands import PANEL_FILLS, band_of

# Three lines of text (key, value, age) drawn on a small canvas: changing them
# repaints this canvas alone. A Div would re-render, and BokehJS then lays out
# the whole page again: measured, that was most of a browser's work per frame.
_ROWS = {"x": [0.04, 0.04, 0.04], "y": [0.86, 0.5, 0.14]}
_KEY_PX, _VALUE_PX, _AGE_PX = 12, 24, 11
_CHAR_WIDTH = 0.62
"""Width of a character of bold text, in units of its font size (digits and
most letters are narrower): enough to size the value line to its panel."""
_TEXT_SHARE = 0.92
"""Share of the panel's width the text may use (it starts at 4 %)."""
_STYLES = ["normal", "bold", "normal"]
_KEY_COLOR, _VALUE_COLOR = "#555555", "#111111"
_AGE_COLORS = {
    HeaderState.LIVE: "#777777",
    HeaderState.PAUSED: "#1f4e8c",
    HeaderState.STALE: "#a36a00",
    HeaderState.FAILED: "#c00000",
}


class _Reading(NamedTuple):
    """What a value panel shows of a 0-D value, read out of scipp once."""

    value: Any
    variance: Any
    unit: sc.Unit | None
    number: float | None
    masked: bool


@once_per_value
def _reading(value: sc.DataArray | sc.Variable) -> _Reading:
    # Every session's panel of a key is handed the same object each round.
    numeric = value.dtype in ("float64", "float32", "int64", "int32")
    masks = getattr(value, "masks", {})
    return _Reading(
        value=value.value,
        variance=value.variance,
        unit=value.unit,
        number=float(value.value) if numeric else None,
        masked=any(bool(mask.value) for mask in masks.values()),
    )


class ValuePanel(Plotter):
    """Latest 0-D value (a log such as a sample temperature) as large text."""

    precision = param.Integer(default=4, bounds=(1, 12), doc="Significant digits.")
    width = param.Integer(default=260, bounds=(150, None))
    height = param.Integer(default=90, bounds=(60, None))

    def __init__(self, key: Hashable, **params: Any) -> None:
        super().__init__(key, **params)
        self._value_text = "no data yet"
        self._key_text = self.label
        self._state = HeaderState.LIVE
        self._shown_state: HeaderState | None = None
        self.source = ColumnDataSource(name=f"value:{self.label}")
        self._limits: AlarmLimits | None = None
        self._number: float | None = None
        self._plot: Plot | None = None
        self._fill_shown: str | None = None  # the background colour set

    @property
    def text(self) -> str:
        """The three lines shown (key, value, age), as one line."""
        return " · ".join(self.source.data.get("text", []))

    def _build(self) -> LayoutDOM:
        plot = Plot(
            width=self.width,
            height=self.height,
            x_range=Range1d(0, 1),
            y_range=Range1d(0, 1),
            # Only the save tool, inside the panel and shown on mouse-over: the
            # panel's PNG is named like every plot's (decision 093).
            toolbar_location="right",
            toolbar_inner=True,
            min_border=0,
            outline_line_color=None,
            output_backend=self.renderer,
        )
        plot.add_glyph(
            self.source,
            Text(
                x="x",
                y="y",
                text="text",
                text_color="color",
                text_font_size="size",
                text_font_style="style",
                text_baseline="middle",
            ),
        )
        plot.add_tools(SaveTool())
        plot.toolbar.autohide = True
        plot.toolbar.logo = None
        self._plot = plot
        self._fill_shown = None  # a new plot has the default background
        self._render()
        return plot

    def show_limits(self, limits: AlarmLimits | None) -> None:
        """The panel's colour says which band of ``limits`` its value lies in."""
        self._limits = limits
        self._fill()

    def _fill(self) -> None:
        if self._plot is None:
            return
        band = "ok" if self._number is None else band_of(self._limits, self._number)
        fill = PANEL_FILLS[band]
        # Compared with the fill set, not read back: reading a colour never
        # set makes Bokeh compute its default again, every frame.
        if fill != self._fill_shown:
            self._fill_shown = fill
            self._plot.background_fill_color = fill

    def _show(self, value: Any) -> None:
        if getattr(value, "ndim", 0) != 0:
            raise ValueError(f"a value panel shows 0-D values, got {value.ndim}-D")
        self._number = None
        if isinstance(value, sc.DataArray | sc.Variable):
            reading = _reading(value)
            self._unit = reading.unit
            self._number = reading.number
            text = f"{reading.value:.{self.precision}g}"
            if reading.variance is not None:
                text += f" ± {reading.variance**0.5:.2g}"
            # A value without a unit says so where the key is, as the key
            # browser does, and its number keeps the large line to itself.
            unit = has_unit(reading.unit)
            self._value_text = f"{text} {reading.unit}" if unit else text
            self._key_text = self.label if unit else f"{self.label} · {NO_UNIT}"
            if reading.masked:
                self._value_text += " (masked)"
        else:
            self._value_text = str(value)
        self._render()

    def _clear_view(self) -> None:
        self._value_text = "no data"
        self._number = None
        self._render()

    def _set_header(self, text: str, state: HeaderState) -> None:
        self._state = state
        self._render()

    def _render(self) -> None:
        self._fill()
        if self._plot is not None:
            self.name_saved_image(self._plot.tools)
        lines = [self._key_text, self._value_text, self._status_text()]
        if self.source.data.get("text") == lines and self._shown_state is self._state:
            return
        self._shown_state = self._state
        columns = {
            "text": lines,
            "size": [f"{_KEY_PX}px", f"{self._value_px()}px", f"{_AGE_PX}px"],
            "color": [_KEY_COLOR, _VALUE_COLOR, _AGE_COLORS[self._state]],
        }
        if "x" not in self.source.data:
            self.source.data = {**_ROWS, **columns, "style": _STYLES}
            return
        # Only the columns that changed (the value, mostly): Bokeh checks and
        # sends a whole new data set column by column, every frame of every
        # session.
        data = self.source.data
        changed = {name: new for name, new in columns.items() if data[name] != new}
        with columns_as_built():
            data.update(changed)

    def _value_px(self) -> int:
        """The value line's font size: 24 px, smaller if the text needs it to fit."""
        room = self.width * _TEXT_SHARE
        fits = int(room / (_CHAR_WIDTH * max(1, len(self._value_text))))
        return max(10, min(_VALUE_PX, fits))

    def _status_text(self) -> str:
        if self.failure is not None:
            return self.failure
        if self.stale:
            return f"stale · {self.age_text}"
        return self.age_text
