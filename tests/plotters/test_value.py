import scipp as sc

from app.data import DataService
from app.plotters import ValuePanel

from .plotter_frames import T0_NS, scalar


def test_value_panel_shows_value_unit_and_age(data_service: DataService) -> None:
    panel = ValuePanel("log/sample_temperature")
    panel.subscribe(data_service)
    data_service["log/sample_temperature"] = scalar(0, value=295.123456, unit="K")
    panel.draw(now_ns=T0_NS + 3_000_000_000)

    text = panel.text
    assert "log/sample_temperature" in text
    assert "295.1 K" in text
    assert "age 3 s" in text


def test_value_panel_shows_standard_deviation_of_variances(
    data_service: DataService,
) -> None:
    panel = ValuePanel("log/current")
    panel.subscribe(data_service)
    data_service["log/current"] = sc.DataArray(sc.scalar(2.0, variance=0.04, unit="uA"))
    panel.draw()
    assert "2 ± 0.2 µA" in panel.text
