"""Frames as the sources stamp them: scipp values with a 0-D ``time`` coord."""

import numpy as np
import scipp as sc

from app.data import DataService
from app.plotters import LinePlotter

T0_NS = 1_790_000_000_000_000_000
PERIOD_NS = 200_000_000


def stamp(value: sc.DataArray, index: int) -> sc.DataArray:
    value = value.copy()
    value.coords["time"] = sc.datetime(T0_NS + index * PERIOD_NS, unit="ns")
    return value


def scalar(index: int, value: float | None = None, unit: str = "K") -> sc.DataArray:
    return stamp(
        sc.DataArray(sc.scalar(float(index) if value is None else value, unit=unit)),
        index,
    )


def spectrum(index: int, bins: int = 8, unit: str = "counts") -> sc.DataArray:
    edges = sc.linspace("tof", 0.0, 80.0, bins + 1, unit="us")
    values = np.arange(bins, dtype=np.float64) + index
    data = sc.array(dims=["tof"], values=values, unit=unit)
    return stamp(sc.DataArray(data, coords={"tof": edges}), index)


def image(index: int, unit: str = "counts") -> sc.DataArray:
    values = np.arange(12, dtype=np.float64).reshape(3, 4) + index
    return stamp(
        sc.DataArray(
            sc.array(dims=["y", "x"], values=values, unit=unit),
            coords={
                "x": sc.array(dims=["x"], values=[0.0, 1.0, 2.0, 3.0], unit="mm"),
                "y": sc.linspace("y", -3.0, 3.0, 4, unit="mm"),
            },
        ),
        index,
    )


def drawn_line(data_service: DataService, key: str = "monitor/m1") -> LinePlotter:
    """A line plot of `key`, subscribed, its first spectrum drawn at `T0_NS`."""
    plotter = LinePlotter(key)
    plotter.subscribe(data_service)
    data_service[key] = spectrum(0)
    plotter.draw(now_ns=T0_NS)
    return plotter
