"""The custom-view example: the distribution of pixel values of the latest image."""

from __future__ import annotations

from collections.abc import Hashable

import holoviews as hv
import numpy as np
import scipp as sc

from app.data import KeyInfo
from app.page.custom_views import register_view
from app.plotters.custom import CustomView

NAME = "pixel histogram"
BINS = 50


def pixel_histogram(image: sc.DataArray | None) -> hv.Histogram:
    """How many pixels of `image` hold which value, in 50 bins."""
    if image is None:
        return hv.Histogram((np.array([0.0, 1.0]), np.zeros(1)))
    values = np.asarray(image.values, dtype=np.float64).ravel()
    counts, edges = np.histogram(values[np.isfinite(values)], bins=BINS)
    return hv.Histogram(
        (edges, counts), kdims=[f"value [{image.unit}]"], vdims="pixels"
    )


def is_image(key: Hashable, info: KeyInfo) -> bool:
    """Whether a key holds 2-D numbers, as a detector image does."""
    return info.ndim == 2 and not info.binned and info.kind == "DataArray"


def register() -> CustomView:
    """Offer the pixel histogram for every image key."""
    return register_view(NAME, pixel_histogram, applies_to=is_image)
