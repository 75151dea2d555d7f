"""Bokeh models the plots of one page share, and the glyphs a plot never shows.

Every model of a page costs the server its creation, its sending and its part
of Bokeh's bookkeeping, and the browser its copy. A ticker, a tick formatter or
a label policy holds no state of its plot: the plots of one document share one
of each kind and setting. A renderer's glyphs for unselected and muted data
are never drawn here (no plot selects or mutes): the browser derives them if
ever needed (decision 069).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary, WeakValueDictionary

import panel as pn
from bokeh.document import Document
from bokeh.models import (
    AllLabels,
    Axis,
    BasicTicker,
    BasicTickFormatter,
    DatetimeTicker,
    GlyphRenderer,
    Model,
)
from bokeh.plotting import figure

M = TypeVar("M", bound=Model)

# Values held weakly: a model no plot uses any more goes, and the cache never
# keeps a closed session's document alive through its models.
_SHARED: WeakKeyDictionary[Document, WeakValueDictionary[Hashable, Model]] = (
    WeakKeyDictionary()
)

_SHAREABLE = (AllLabels, BasicTicker, BasicTickFormatter, DatetimeTicker)
"""Kinds of model that hold no state of a plot, as a figure makes them."""


def shared(kind: type[M], **settings: Any) -> M:
    """One `kind(**settings)` for all plots of the current document.

    Never change a shared model: ask for one with other settings instead.
    Without a document (tests, benchmarks), a new model each time.
    """
    document = pn.state.curdoc
    if document is None:
        return kind(**settings)
    models = _SHARED.setdefault(document, WeakValueDictionary())
    key = (kind, tuple(sorted(settings.items())))
    model = models.get(key)
    if model is None:
        model = kind(**settings)
        models[key] = model
    return model  # type: ignore[return-value]


def share_axis(axis: Axis, **ticker_settings: Any) -> None:
    """Give `axis` the document's shared ticker (with `ticker_settings`),
    formatter and label policy in place of its own, where they are of a
    shareable kind."""
    ticker = axis.ticker
    if type(ticker) in _SHAREABLE:
        axis.ticker = shared(type(ticker), **ticker_settings)
    if type(axis.formatter) in _SHAREABLE:
        axis.formatter = shared(type(axis.formatter))
    if type(axis.major_label_policy) in _SHAREABLE:
        axis.major_label_policy = shared(type(axis.major_label_policy))


def share_figure(fig: figure) -> None:
    """Share the tickers, formatters and label policies of `fig`'s axes."""
    for axis in fig.axis:
        share_axis(axis)


def drop_unseen_glyphs(renderer: GlyphRenderer) -> GlyphRenderer:
    """Let the browser derive `renderer`'s unselected and muted glyphs, which
    nothing here shows, instead of sending a copy of its glyph for each."""
    renderer.update(nonselection_glyph="auto", muted_glyph="auto")
    return renderer
