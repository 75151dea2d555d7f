"""Tests of app/layout.py: plot kinds and the plots made for each."""

import numpy as np
import pytest
import scipp as sc

from app.data import KeyInfo
from app.layout import (
    IMAGE,
    PLOTS_PER_KIND,
    SPECTRUM,
    VALUE,
    VOLUME,
    automatic_specs,
    plot_kind,
    plotter_for,
)
from app.options import DashboardOptions


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
    made = [plotter_for(s, info, options) for s in automatic_specs("k", info, options)]
    assert len(made) == PLOTS_PER_KIND[kind]


@pytest.mark.parametrize("view", ["latest", "aggregate"])
def test_a_3d_key_is_drawn_as_the_image_of_its_sum_over_the_first_dim(
    view: str,
) -> None:
    from app.data import DataService
    from app.layout import spec_for

    values = np.arange(24.0).reshape(2, 3, 4)
    volume = sc.DataArray(
        sc.array(dims=["tof", "y", "x"], values=values, unit="counts"),
        coords={"time": sc.datetime(1_790_000_000_000_000_000, unit="ns")},
    )
    info = KeyInfo.of(volume, restarts=0)
    options = DashboardOptions()
    plotter = plotter_for(spec_for("detector/volume", view, options), info, options)
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
