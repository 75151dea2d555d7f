"""Layouts of many plots over the simulated instrument, for tests and benchmarks."""

from __future__ import annotations

from app.limits import MAX_LAYOUT_PLOTS, MAX_LAYOUT_URL_CHARS
from app.page.layout_file import Layout
from app.plot_spec import PlotSpec

IMAGES = ("detector/panel_0",)
SPECTRA = ("monitor/m1", "monitor/m2")
VALUES = ("log/sample_temperature", "log/motor_x", "log/proton_current")
KEYS = IMAGES + SPECTRA + VALUES


def many_plots(count: int) -> Layout:
    """`count` distinct plots of the simulated instrument's keys, in turn.

    Images as aggregates, spectra and values as windows and aggregates or time
    windows; each plot's extent differs, so no two plots are the same.
    """
    plots = []
    for index in range(count):
        key = KEYS[index % len(KEYS)]
        if key in IMAGES:
            plot = PlotSpec(key, "aggregate", seconds=1.0 + index, op="sum")
        elif index % 2:
            plot = PlotSpec(key, "window", frames=10 + index)
        elif key in SPECTRA:
            plot = PlotSpec(key, "aggregate", seconds=1.0 + index, op="sum")
        else:
            plot = PlotSpec(key, "time_window", seconds=60.0 + index)
        plots.append(plot)
    return Layout(tuple(plots))


def too_long_for_a_link(*first: PlotSpec) -> Layout:
    """A layout of `first` and windows of long-named logs, as many as a page
    shows, whose URL form is longer than a link may carry."""
    name = "a_rather_long_key_name_of_a_sample_environment_" * 3
    logs = tuple(
        PlotSpec(f"log/{name}{i:04}") for i in range(MAX_LAYOUT_PLOTS - len(first))
    )
    layout = Layout((*first, *logs))
    if len(layout.to_url()) <= MAX_LAYOUT_URL_CHARS:
        raise AssertionError("the layout fits a link: make its keys longer")
    return layout
