"""Buttons as Bokeh's models alone, drawn as Panel draws its own.

A Panel widget is a parameterized object with watchers of its own, and Panel
makes its model and style sheets when it joins a page. Where a page makes
many buttons at once (a page of the key browser's list, a card's header),
Bokeh's buttons cost a fraction of that: a card's header of three took about
8 ms as Panel's widgets and 2 ms as Bokeh's (decision 064). This sheet gives
them Panel's look, light or dark.
"""

from __future__ import annotations

from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import panel as pn
from bokeh.document import Document
from bokeh.models import AbstractButton, InlineStyleSheet

HEADER_BUTTON_PX = 26
"""A header button's height: it fits the card's header line (30 px)."""

PANEL_BUTTON_CSS = """
:host .bk-btn {
  line-height: 1.428571429;
  border: 1.2px solid transparent;
}
:host .bk-btn.bk-btn-default {
  background-color: var(--surface-color, var(--panel-surface-color, #f3f3f3));
  color: var(--surface-text-color, var(--panel-on-surface-color, #1a1d21));
}
:host .bk-btn:active {
  transform: scale(0.98);
}
"""
"""Panel's button: its line's height, no border hovered or not, a default
button in the page's surface colours (the page's Panel models define them),
pressed a little smaller."""


_SHEETS: WeakKeyDictionary[Document, InlineStyleSheet] = WeakKeyDictionary()
"""Each page's sheet, shared by every button made for it."""


def button_sheet() -> InlineStyleSheet:
    """The sheet of the current page's buttons: one model a page, not one a
    card or a button (a new one where no page is current, a test's card)."""
    document = pn.state.curdoc
    if document is None:
        return InlineStyleSheet(css=PANEL_BUTTON_CSS)
    sheet = _SHEETS.get(document)
    if sheet is None:
        sheet = _SHEETS[document] = InlineStyleSheet(css=PANEL_BUTTON_CSS)
    return sheet


B = TypeVar("B", bound=AbstractButton)


def header_button(
    kind: type[B],
    label: str,
    width: int,
    css_class: str,
    sheet: InlineStyleSheet,
    **properties: Any,
) -> B:
    """A button (or toggle) of a card's header line: its height, Panel's look."""
    return kind(
        label=label,
        width=width,
        height=HEADER_BUTTON_PX,
        margin=(2, 2),
        css_classes=[css_class],
        stylesheets=[sheet],
        **properties,
    )
