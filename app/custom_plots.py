"""Custom views: an operator's own live plot, a function from scipp data to HoloViews.

The built-in plots stream into plain Bokeh sources (decision 005). A custom
view trades that economy for brevity: its function turns the extracted value
into a HoloViews element, and the plot shows each new element through a
``Pipe`` stream, which updates the drawn data in place (decision 055)::

    def pixel_histogram(image):
        counts, edges = np.histogram(image.values, bins=50)
        return hv.Histogram((edges, counts))

    register_view("pixel histogram", pixel_histogram, applies_to=is_image)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import holoviews as hv
import panel as pn
from bokeh.models import LayoutDOM

from app.data import KeyInfo, LatestValueExtractor, UpdateExtractor
from app.plotters import Plotter

from .page_text import html_div, markup

logger = logging.getLogger(__name__)

hv.extension("bokeh", logo=False)


@dataclass(frozen=True)
class CustomView:
    """A named way to plot keys: which keys, what to extract, how to draw it.

    Parameters
    ----------
    name:
        What the operator picks; also the ``view`` of a layout file.
    element:
        From the extracted value (``None`` before the first) to a HoloViews
        element; it must return the same element type every time.
    extractor:
        Makes the extractor of each plot (the latest value by default).
    applies_to:
        Which keys the view is offered for, from key and `KeyInfo`.
    """

    name: str
    element: Callable[[Any], hv.Element]
    extractor: Callable[[], UpdateExtractor] = LatestValueExtractor
    applies_to: Callable[[Hashable, KeyInfo], bool] = lambda key, info: True


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


class HoloViewsPlotter(Plotter):
    """A key drawn by a custom view's HoloViews function, one element per frame."""

    def __init__(self, key: Hashable, view: CustomView, **params: Any) -> None:
        super().__init__(key, **params)
        self.view = view
        self._pipe = hv.streams.Pipe(data=None)
        self._map = hv.DynamicMap(self._element, streams=[self._pipe])

    def make_extractor(self) -> UpdateExtractor:
        return self.view.extractor()

    def _element(self, data: Any) -> hv.Element:
        element = self.view.element(data)
        return element.opts(
            framewise=True, width=self.width, height=self.height, title=""
        )

    def _build(self) -> LayoutDOM:
        self._div = html_div(
            name=f"custom:{self.view.name}:{self.label}", width=self.width
        )
        return self._div

    def _layout(self, pane: pn.pane.Bokeh) -> pn.viewable.Viewable:
        return pn.Column(pane, pn.pane.HoloViews(self._map, backend="bokeh"))

    def _show(self, value: Any) -> None:
        # Runs in the session's frame: the DynamicMap redraws into its document.
        self._pipe.send(value)

    def _set_header(self, text: str, state: object = None) -> None:
        self._div.text = markup(
            "<b>{header}</b> · {view}", header=text, view=self.view.name
        )
