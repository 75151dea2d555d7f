"""Plots of DataService keys; each is a subscriber drawn by its browser session."""

from app.plotters.base import Plotter
from app.plotters.image import ImagePlotter
from app.plotters.line import LinePlotter
from app.plotters.sliding_window import (
    SlidingWindowPlotter,
    WindowUpdate,
    window_update,
)
from app.plotters.value import ValuePanel

__all__ = [
    "ImagePlotter",
    "LinePlotter",
    "Plotter",
    "SlidingWindowPlotter",
    "ValuePanel",
    "WindowUpdate",
    "window_update",
]
