"""Tests of app/layout.py: plot kinds and the plots made for each."""

import pytest
import scipp as sc

from app.data import KeyInfo
from app.layout import (
    IMAGE,
    PLOTS_PER_KIND,
    SPECTRUM,
    VALUE,
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
        (sc.DataArray(sc.zeros(dims=["z", "y", "x"], shape=[2, 2, 2])), None),
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
