"""Tests of app/page/views.py: plot kinds and the plots made for each."""

import numpy as np
import pytest
import scipp as sc

from app.data import KeyInfo
from app.options import DashboardOptions
from app.page.views import PLOTS, plot_for, views_for
from app.plot_spec import (
    IMAGE,
    PLOTS_PER_KIND,
    SPECTRUM,
    VALUE,
    VOLUME,
    automatic_specs,
    plot_kind,
    spec_for,
)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (sc.DataArray(sc.scalar(1.0, unit="K")), VALUE),
        (sc.scalar(3), VALUE),
        (sc.DataArray(sc.zeros(dims=["tof"], shape=[4])), SPECTRUM),
        (sc.DataArray(sc.zeros(dims=["y", "x"], shape=[2, 3], dtype="int32")), IMAGE),
        (sc.DataArray(sc.zeros(dims=["z", "y", "x"], shape=[2, 2, 2])), VOLUME),
        (sc.DataArray(sc.zeros(dims=["t", "z", "y", "x"], shape=[1, 2, 2, 2])), None),
        (sc.data.binned_x(10, 2), None),
        (sc.scalar("beam off"), None),
        ("beam off", None),
        (42, None),
    ],
)
def test_each_kind_of_value_gets_its_plots_and_the_count_is_known_before(
    value, kind
) -> None:
    info = KeyInfo.of(value, restarts=0)
    assert plot_kind(info) == kind
    options = DashboardOptions()
    specs = automatic_specs("k", info, options.window_size)
    made = [plot_for(spec, info, options) for spec in specs]
    assert len(made) == PLOTS_PER_KIND[kind]


@pytest.mark.parametrize("view", ["latest", "aggregate"])
def test_a_3d_key_is_drawn_as_the_image_of_its_sum_over_the_first_dim(
    view: str,
) -> None:
    from app.data import DataService

    values = np.arange(24.0).reshape(2, 3, 4)
    volume = sc.DataArray(
        sc.array(dims=["tof", "y", "x"], values=values, unit="counts"),
        coords={"time": sc.datetime(1_790_000_000_000_000_000, unit="ns")},
    )
    info = KeyInfo.of(volume, restarts=0)
    options = DashboardOptions()
    spec = spec_for("detector/volume", view, options.window_size)
    plotter = plot_for(spec, info, options).plotter
    data_service = DataService()
    plotter.subscribe(data_service)
    data_service["detector/volume"] = volume
    plotter.draw(now_ns=1_790_000_000_000_000_000)

    assert plotter.failure is None
    (drawn,) = plotter.source.data["image"]
    np.testing.assert_allclose(drawn, values.sum(axis=0))
    assert "sum" in plotter.header
    if view == "latest":
        assert "sum over tof" in plotter.header


def test_every_row_of_the_table_builds_its_plot_and_the_key_offers_its_view() -> None:
    values = {
        VALUE: sc.DataArray(sc.scalar(1.0, unit="K")),
        SPECTRUM: sc.DataArray(sc.zeros(dims=["tof"], shape=[4])),
        IMAGE: sc.DataArray(sc.zeros(dims=["y", "x"], shape=[2, 3])),
        VOLUME: sc.DataArray(sc.zeros(dims=["z", "y", "x"], shape=[2, 2, 2])),
    }
    options = DashboardOptions()
    for (kind, view), recipe in PLOTS.items():
        info = KeyInfo.of(values[kind], restarts=0)
        assert view in views_for("k", info)
        plot = plot_for(spec_for("k", view, options.window_size), info, options)
        assert (plot.kind, plot.row) == (kind, recipe.row)


def test_a_view_the_kind_does_not_offer_is_refused_naming_the_key_and_its_views() -> (
    None
):
    info = KeyInfo.of(sc.DataArray(sc.zeros(dims=["y", "x"], shape=[2, 3])), restarts=0)
    with pytest.raises(ValueError, match=r"'det'.*an image offers no 'window'.*latest"):
        plot_for(spec_for("det", "window", 10), info, DashboardOptions())
