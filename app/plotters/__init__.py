"""Plots of DataService keys; each is a subscriber drawn by its browser session."""

from .base import Plotter
from .image import ImagePlotter
from .line import LinePlotter
from .sliding_window import SlidingWindowPlotter, WindowUpdate, window_update
from .value import ValuePanel

__all__ = [
    "ImagePlotter",
    "LinePlotter",
    "Plotter",
    "SlidingWindowPlotter",
    "ValuePanel",
    "WindowUpdate",
    "window_update",
]
