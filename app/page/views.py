"""Which plots a page draws for a key and view: one table, one question.

Each row of `PLOTS` says how a kind of key is drawn in a built-in view and
which row of the grid its card goes to. Adding a plot kind or view is one
plotter class plus one row here (docs/design.md, "Adding a plot kind").
Custom views (`app.page.custom_views`) apply to any key they accept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from app.data import KeyInfo
from app.options import DashboardOptions
from app.page.custom_views import custom_views
from app.plot_spec import (
    AGAINST,
    AGGREGATE,
    IMAGE,
    LATEST,
    SPECTRUM,
    TIME_WINDOW,
    VALUE,
    VOLUME,
    WINDOW,
    PlotSpec,
    plot_kind,
    spec_for,
)
from app.plotters import (
    ImagePlotter,
    LinePlotter,
    Plotter,
    SlidingWindowPlotter,
    ValuePanel,
)
from app.plotters.against import AgainstPlotter
from app.plotters.aggregated import AggregatedImage, AggregatedLine
from app.plotters.custom import HoloViewsPlotter

VALUES, LATEST_ROW, WINDOWS = "values", "latest", "windows"
"""The grid's rows (`app.page.grid.ROWS`)."""


@dataclass(frozen=True)
class PlotRecipe:
    """How a kind of key is drawn in one view, and where its card goes."""

    build: Callable[[PlotSpec, DashboardOptions], Plotter]
    row: str


Build = Callable[[PlotSpec, DashboardOptions], Plotter]
"""How a plot of a spec is built, given the dashboard's options."""


def _window(frame_ndim: int, *, by_time: bool = False) -> Build:
    """A sliding window of the last frames, or of the last seconds `by_time`."""

    def build(spec: PlotSpec, options: DashboardOptions) -> Plotter:
        extent = (
            {"seconds": spec.seconds, "window_size": options.window_size}
            if by_time
            else {"window_size": spec.frames}
        )
        return SlidingWindowPlotter(
            spec.key, frame_ndim=frame_ndim, renderer=options.renderer, **extent
        )

    return build


def _drawn(plotter: type[Plotter]) -> Build:
    def build(spec: PlotSpec, options: DashboardOptions) -> Plotter:
        return plotter(spec.key, renderer=options.renderer)

    return build


def _aggregated(plotter: type[Plotter]) -> Build:
    def build(spec: PlotSpec, options: DashboardOptions) -> Plotter:
        return plotter(
            spec.key, seconds=spec.seconds, op=spec.op, renderer=options.renderer
        )

    return build


def _against(frame_ndim: int) -> Build:
    """The key's frames against the spec's x key (decision 090)."""

    def build(spec: PlotSpec, options: DashboardOptions) -> Plotter:
        return AgainstPlotter(
            spec.key,
            x_key=spec.x_key,
            frame_ndim=frame_ndim,
            renderer=options.renderer,
        )

    return build


PLOTS: dict[tuple[str, str], PlotRecipe] = {
    (VALUE, LATEST): PlotRecipe(lambda spec, options: ValuePanel(spec.key), VALUES),
    (VALUE, WINDOW): PlotRecipe(_window(0), WINDOWS),
    (VALUE, TIME_WINDOW): PlotRecipe(_window(0, by_time=True), WINDOWS),
    (VALUE, AGAINST): PlotRecipe(_against(0), LATEST_ROW),
    (SPECTRUM, LATEST): PlotRecipe(_drawn(LinePlotter), LATEST_ROW),
    (SPECTRUM, WINDOW): PlotRecipe(_window(1), WINDOWS),
    (SPECTRUM, TIME_WINDOW): PlotRecipe(_window(1, by_time=True), WINDOWS),
    (SPECTRUM, AGGREGATE): PlotRecipe(_aggregated(AggregatedLine), LATEST_ROW),
    (SPECTRUM, AGAINST): PlotRecipe(_against(1), LATEST_ROW),
    (IMAGE, LATEST): PlotRecipe(_drawn(ImagePlotter), LATEST_ROW),
    (IMAGE, AGGREGATE): PlotRecipe(_aggregated(AggregatedImage), LATEST_ROW),
    # A volume is drawn as the image of its sum over its first dim (decision 045).
    (VOLUME, LATEST): PlotRecipe(_drawn(ImagePlotter), LATEST_ROW),
    (VOLUME, AGGREGATE): PlotRecipe(_aggregated(AggregatedImage), LATEST_ROW),
}
"""The built-in plots: (kind of key, view) -> how it is drawn and where.
Windows of images are not drawn."""


@dataclass(frozen=True)
class PagePlot:
    """The answer for one plot of a page: its plotter and the row of its card."""

    spec: PlotSpec
    kind: str | None
    plotter: Plotter
    row: str


def views_for(key: Hashable, info: KeyInfo) -> tuple[str, ...]:
    """Every view a key offers: its kind's built-in ones, then custom ones."""
    kind = plot_kind(info)
    built_in = tuple(view for (of, view) in PLOTS if of == kind)
    custom = tuple(
        name for name, view in custom_views().items() if view.applies_to(key, info)
    )
    return built_in + custom


def view_choices(spec: PlotSpec, info: KeyInfo, window_size: int) -> dict[str, str]:
    """A card's view menu: each view the key offers, by how it reads."""
    views = views_for(spec.key, info)
    labels = {spec_for(spec.key, view, window_size).describe(): view for view in views}
    if spec.view not in labels.values():
        labels[spec.describe()] = spec.view
    return labels


def plot_for(spec: PlotSpec, info: KeyInfo, options: DashboardOptions) -> PagePlot:
    """Which plot draws `spec` for a key described by `info`, and where.

    Raises
    ------
    ValueError
        If the key's kind does not offer the view.
    """
    kind = plot_kind(info)
    recipe = PLOTS.get((kind, spec.view))
    if recipe is not None and spec.divide_by is not None and spec.view == AGGREGATE:
        raise ValueError(
            f"key {spec.key!r}: an aggregate is not divided frame by frame "
            f"(by {spec.divide_by!r})"
        )
    if recipe is not None:
        plotter = recipe.build(spec, options)
        if spec.divide_by is not None:
            plotter.divide_by(spec.divide_by)
        return PagePlot(spec, kind, plotter, recipe.row)
    if spec.divide_by is not None:
        raise ValueError(
            f"key {spec.key!r}: the {spec.view!r} view is not divided by "
            f"{spec.divide_by!r} (only built-in views are)"
        )
    view = custom_views().get(spec.view)
    if view is not None and view.applies_to(spec.key, info):
        plotter = HoloViewsPlotter(spec.key, view, renderer=options.renderer)
        return PagePlot(spec, kind, plotter, LATEST_ROW)
    views = views_for(spec.key, info)
    what = kind or info.kind
    article = "an" if what[:1].lower() in "aeiou" else "a"
    offers = ", ".join(views) if views else "no view"
    raise ValueError(
        f"key {spec.key!r}: {article} {what} offers no {spec.view!r} view "
        f"(it offers {offers})"
    )
