"""A card's header parts: Bokeh's models inside the card's Panel panes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import panel as pn
from bokeh.models import Model, Toggle

M = TypeVar("M", bound=Model)


def header_models(card: pn.viewable.Viewable, kind: type[M]) -> list[M]:
    """The models of `kind` in `card`'s Bokeh panes and their rows, in the
    page's order."""
    return [
        model
        for pane in card.select(pn.pane.Bokeh)
        for model in _in_order(pane.object)
        if isinstance(model, kind)
    ]


def _in_order(model: Model) -> Iterator[Model]:
    yield model
    for child in getattr(model, "children", None) or ():
        yield from _in_order(child)


def open_settings(card: pn.viewable.Viewable) -> None:
    """Press the card's ⚙ (no document: the settings open at once)."""
    (toggle,) = [
        toggle
        for toggle in header_models(card, Toggle)
        if "plot-settings" in toggle.css_classes
    ]
    toggle.active = True
