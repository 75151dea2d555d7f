"""ValuePanel: the latest scalar of a key with its unit and age, as text."""

from __future__ import annotations

import html
from collections.abc import Hashable
from typing import Any

import param
import scipp as sc
from bokeh.models import Div, InlineStyleSheet, LayoutDOM

from .base import HeaderState, Plotter
from .columns import unit_label

# Styles live in a stylesheet sent once, so each frame only sends the short text.
STYLE_CSS = (
    ".key{font:90% sans-serif;color:#555}"
    ".value{font:bold 170% sans-serif}"
    ".age{font:80% sans-serif;color:#777}"
    ".age.stale{color:#7a4f00;background:#ffe2a0}"
    ".age.failed{color:#9c0000;background:#fdd8d8}"
    ".age.paused{color:#1f4e8c}"
)


class ValuePanel(Plotter):
    """Latest 0-D value (a log such as a sample temperature) as large text."""

    precision = param.Integer(default=4, bounds=(1, 12), doc="Significant digits.")
    width = param.Integer(default=260, bounds=(150, None))
    height = param.Integer(default=90, bounds=(60, None))

    def __init__(self, key: Hashable, **params: Any) -> None:
        super().__init__(key, **params)
        self._value_text = "no data yet"
        self._state = HeaderState.LIVE

    def _build(self) -> LayoutDOM:
        self._div = Div(
            width=self.width,
            height=self.height,
            name=f"value:{self.label}",
            # A Bokeh model belongs to one document: one stylesheet per panel.
            stylesheets=[InlineStyleSheet(css=STYLE_CSS)],
        )
        self._render()
        return self._div

    def _show(self, value: Any) -> None:
        if getattr(value, "ndim", 0) != 0:
            raise ValueError(f"a value panel shows 0-D values, got {value.ndim}-D")
        if isinstance(value, sc.DataArray | sc.Variable):
            self._unit = value.unit
            text = f"{value.value:.{self.precision}g}"
            if value.variance is not None:
                text += f" ± {value.variance**0.5:.2g}"
            self._value_text = f"{text} {unit_label(value.unit)}"
        else:
            self._value_text = str(value)
        self._render()

    def _clear_view(self) -> None:
        self._value_text = "no data"
        self._render()

    def _set_header(self, text: str, state: HeaderState) -> None:
        self._state = state
        self._render()

    def _render(self) -> None:
        self._div.text = (
            f'<div class="key">{html.escape(self.label)}</div>'
            f'<div class="value">{html.escape(self._value_text)}</div>'
            f'<div class="age {self._state.value}">'
            f"{html.escape(self._status_text())}</div>"
        )

    def _status_text(self) -> str:
        if self.failure is not None:
            return self.failure
        if self.stale:
            return f"stale · {self.age_text}"
        return self.age_text
