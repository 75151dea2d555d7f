"""Custom views that misbehave, for tests and benchmarks: ``--views app.testing.views``.

Importing this module registers them, as an operator's module of views would.
"""

from __future__ import annotations

import time
from typing import Any

import holoviews as hv
import numpy as np

from app.page.custom_views import register_view

SLOW = "slow view"
FAILING = "failing view"
HISTOGRAM = "values histogram"
SLOW_VIEW_S = 2.0
"""How long the slow view computes: twice the custom views' budget."""


def slow_curve(value: Any) -> hv.Curve:
    """The value's first 200 numbers, after 2 s of pure-Python work.

    A busy loop holds the GIL the longest a view's function can, unlike
    numpy, which lets it go while it computes.
    """
    end = time.perf_counter() + SLOW_VIEW_S
    while time.perf_counter() < end:
        pass
    if value is None:
        return hv.Curve([])
    return hv.Curve(np.asarray(value.values, dtype=np.float64).ravel()[:200])


def failing(value: Any) -> hv.Curve:
    """Always raises, as a view with a bug does."""
    raise RuntimeError("this view fails on purpose")


def values_histogram(value: Any) -> hv.Histogram:
    """The value's numbers in 10 bins, with the same dimensions for every key."""
    values = np.zeros(1) if value is None else np.asarray(value.values).ravel()
    counts, edges = np.histogram(values.astype(np.float64), bins=10)
    return hv.Histogram((edges, counts))


register_view(SLOW, slow_curve)
register_view(HISTOGRAM, values_histogram)
register_view(FAILING, failing)
