"""The custom views a process offers: registered by name, loaded from modules.

A view (`app.plotters.custom.CustomView`) is registered once per process, by
the module ``--views`` names or by the dashboard itself (the pixel histogram);
every session offers the views that apply to a key (decision 055).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import holoviews as hv

from app.data import KeyInfo, LatestValueExtractor, UpdateExtractor
from app.plotters.custom import CustomView

_views: dict[str, CustomView] = {}


def register_view(
    name: str,
    element: Callable[[Any], hv.Element],
    *,
    extractor: Callable[[], UpdateExtractor] = LatestValueExtractor,
    applies_to: Callable[[Hashable, KeyInfo], bool] = lambda key, info: True,
) -> CustomView:
    """Offer a custom view for the keys it applies to (replaces one of that name)."""
    view = CustomView(name, element, extractor, applies_to)
    _views[name] = view
    return view


def custom_views() -> dict[str, CustomView]:
    """The registered custom views by name."""
    return dict(_views)


def load_views(modules: Sequence[str]) -> None:
    """Import the modules that register an operator's views (``--views``).

    Raises
    ------
    ImportError
        Naming the module that could not be imported and why.
    """
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:
            raise ImportError(f"--views {module}: cannot import it: {error}") from error


def unregister_view(name: str) -> None:
    """Stop offering the view `name` to new plots (none if it is not registered)."""
    _views.pop(name, None)
