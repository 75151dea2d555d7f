import csv
import io

import numpy as np
import pytest
import scipp as sc
from bokeh.models import SaveTool

from app.data import DataService
from app.plotters import LinePlotter
from app.plotters.data_out import as_data_array, csv_text, file_stem, hdf5_bytes
from tests.plotters.plotter_frames import T0_NS, spectrum


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_file_stem_names_key_view_and_the_datas_second_in_utc() -> None:
    stem = file_stem("detector/panel 0", "time_window", 1_796_536_501_500_000_000)
    assert stem == "detector-panel-0_time_window_20261206T055501Z"
    assert file_stem("m", "latest", None) == "m_latest_no-time"


def test_csv_of_a_spectrum_has_bin_edges_values_stddevs_and_masks() -> None:
    data = sc.DataArray(
        sc.array(dims=["tof"], values=[1.0, 2.5, 3.0], variances=[1.0, 4.0, 9.0]),
        coords={
            "tof": sc.array(dims=["tof"], values=[0.0, 1.0, 2.0, 3.0], unit="us"),
            "time": sc.datetime(T0_NS, unit="ns"),
        },
        masks={"edge": sc.array(dims=["tof"], values=[False, True, False])},
        name="monitor",
    )
    data.unit = "counts"

    header, *body = rows(csv_text(data))

    assert header == [
        "tof low [µs]",
        "tof high [µs]",
        "monitor [counts]",
        "stddev [counts]",
        "mask edge",
    ]
    table = np.array(body)
    np.testing.assert_array_equal(table[:, 0].astype(float), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(table[:, 1].astype(float), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(table[:, 2].astype(float), data.values)
    np.testing.assert_array_equal(table[:, 3].astype(float), [1.0, 2.0, 3.0])
    assert list(table[:, 4]) == ["False", "True", "False"]


def test_csv_of_a_time_series_writes_times_in_utc_and_values_exactly() -> None:
    values = [0.1, 1 / 3, np.nan]
    series = sc.DataArray(
        sc.array(dims=["time"], values=values, unit="K"),
        coords={
            "time": sc.datetimes(
                dims=["time"], values=[T0_NS, T0_NS + 1, T0_NS + 2], unit="ns"
            )
        },
    )

    header, *body = rows(csv_text(series))

    assert header == ["time (UTC)", "value [K]"]
    times = np.array([row[0].rstrip("Z") for row in body], dtype="datetime64[ns]")
    assert list(times.astype(np.int64)) == [T0_NS, T0_NS + 1, T0_NS + 2]
    np.testing.assert_array_equal([float(row[1]) for row in body], values)


def test_csv_of_a_scalar_is_one_row() -> None:
    value = as_data_array(sc.scalar(3.5, unit="K"), "log/temperature")
    assert rows(csv_text(value)) == [["log/temperature [K]"], ["3.5"]]


def test_csv_refuses_2d_data_naming_the_dims() -> None:
    image = sc.DataArray(sc.zeros(dims=["y", "x"], shape=[2, 2]), name="panel")
    with pytest.raises(ValueError, match=r"panel: CSV holds 0-D or 1-D.*\('y', 'x'\)"):
        csv_text(image)


def test_hdf5_reads_back_identical_with_scipp() -> None:
    image = sc.DataArray(
        sc.array(dims=["y", "x"], values=np.arange(6.0).reshape(2, 3), unit="counts"),
        coords={
            "x": sc.arange("x", 4.0, unit="mm"),
            "time": sc.datetime(T0_NS, unit="ns"),
        },
    )
    data = hdf5_bytes(image)
    assert data[:8] == b"\x89HDF\r\n\x1a\n"
    assert sc.identical(sc.io.load_hdf5(io.BytesIO(data)), image)


def test_plot_shows_its_last_drawn_extraction_and_names_the_saved_image(
    data_service: DataService,
) -> None:
    plotter = LinePlotter("monitor/m1")
    plotter.file_view = "aggregate"
    plotter.subscribe(data_service)
    assert plotter.shown is None
    data_service["monitor/m1"] = spectrum(2)
    plotter.draw(now_ns=T0_NS)

    assert sc.identical(plotter.shown, spectrum(2))
    (save,) = plotter.root.select(SaveTool)
    assert save.filename == file_stem("monitor/m1", "aggregate", plotter.shown_ns)
    assert save.filename.startswith("monitor-m1_aggregate_")
