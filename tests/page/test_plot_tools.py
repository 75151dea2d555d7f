import csv
import io

import panel as pn
import scipp as sc

from app.data import DataService
from app.page.plot_tools import plot_tools
from app.plot_spec import IMAGE, SPECTRUM, VALUE, PlotSpec
from app.plotters import ImagePlotter, LinePlotter, SlidingWindowPlotter, ValuePanel
from app.plotters.data_out import file_stem
from tests.plotters.plotter_frames import T0_NS, scalar, spectrum


def downloads(tools: list) -> dict[str, pn.widgets.FileDownload]:
    return {
        widget.css_classes[0]: widget
        for widget in tools
        if isinstance(widget, pn.widgets.FileDownload)
    }


def nothing() -> None:
    pass


def test_a_download_before_any_data_is_an_empty_file_named_without_time() -> None:
    plotter = LinePlotter("monitor/m1")
    tools = plot_tools(
        PlotSpec("monitor/m1"), SPECTRUM, plotter, keep=nothing, drop=nothing
    )
    csv_download = downloads(tools)["download-csv"]

    assert csv_download.callback().read() == b""
    assert csv_download.filename == "monitor-m1_latest_no-time.csv"


def test_a_download_writes_what_the_plot_drew_named_after_its_time() -> None:
    data_service = DataService()
    plotter = LinePlotter("monitor/m1")
    spec = PlotSpec("monitor/m1", "aggregate", seconds=10.0, op="sum")
    tools = plot_tools(spec, SPECTRUM, plotter, keep=nothing, drop=nothing)
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(4)
    plotter.draw(now_ns=T0_NS)
    data_service["monitor/m1"] = spectrum(5)  # arrived, not drawn yet

    found = downloads(tools)
    rows = list(
        csv.reader(io.StringIO(found["download-csv"].callback().read().decode()))
    )
    h5 = sc.io.load_hdf5(found["download-h5"].callback())

    assert [float(row[2]) for row in rows[1:]] == list(spectrum(4).values)
    assert sc.identical(h5, spectrum(4))
    stem = file_stem("monitor/m1", "aggregate", plotter.shown_ns)
    assert found["download-csv"].filename == f"{stem}.csv"
    assert found["download-h5"].filename == f"{stem}.h5"


def test_csv_is_offered_for_0d_and_1d_plots_reference_for_lines_and_images() -> None:
    def offered(spec, kind, plotter) -> set[str]:
        tools = plot_tools(spec, kind, plotter, keep=nothing, drop=nothing)
        return {widget.css_classes[0] for widget in tools}

    assert offered(PlotSpec("t"), VALUE, ValuePanel("t")) == {
        "download-csv",
        "download-h5",
    }
    window = SlidingWindowPlotter("m", frame_ndim=1, window_size=5)
    assert offered(PlotSpec("m", "window", frames=5), SPECTRUM, window) == {
        "download-h5"
    }
    assert offered(PlotSpec("d"), IMAGE, ImagePlotter("d")) == {
        "download-h5",
        "keep-reference",
    }
    pinned = PlotSpec("m", reference="0" * 32)
    assert "drop-reference" in offered(pinned, SPECTRUM, LinePlotter("m"))


def test_a_value_panels_download_is_a_one_row_csv() -> None:
    data_service = DataService()
    panel = ValuePanel("log/t")
    tools = plot_tools(PlotSpec("log/t"), VALUE, panel, keep=nothing, drop=nothing)
    panel.subscribe(data_service)
    data_service["log/t"] = scalar(2, 296.5)
    panel.draw(now_ns=T0_NS)

    text = downloads(tools)["download-csv"].callback().read().decode()
    header, row = list(csv.reader(io.StringIO(text)))
    assert header == ["time (UTC)", "value [K]"]
    assert row[1] == "296.5"
