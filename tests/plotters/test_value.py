import numpy as np
import scipp as sc
from bokeh.document import Document
from bokeh.document.events import ColumnDataChangedEvent
from bokeh.models import SaveTool

from app.data import DataService
from app.plotters import ValuePanel
from tests.plotters.plotter_frames import T0_NS, scalar


def shown(
    data_service: DataService, key: str, frame: sc.DataArray, **params: object
) -> ValuePanel:
    """A value panel of `key` subscribed to `data_service`, drawn with `frame`."""
    panel = ValuePanel(key, **params)
    panel.subscribe(data_service)
    data_service[key] = frame
    panel.draw(now_ns=T0_NS)
    return panel


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
    frame = sc.DataArray(sc.scalar(2.0, variance=0.04, unit="uA"))
    panel = shown(data_service, "log/current", frame)
    assert "2 ± 0.2 µA" in panel.text


def test_a_log_without_unit_says_no_unit_as_the_key_browser_does(
    data_service: DataService,
) -> None:
    # An f144 log without a configured unit decodes as dimensionless.
    frame = scalar(0, value=0.123456, unit="dimensionless")
    panel = shown(data_service, "log/chopper_phase", frame)

    key_line, value_line, _ = panel.source.data["text"]
    assert key_line == "log/chopper_phase · no unit"
    assert value_line == "0.1235"
    assert "dimensionless" not in panel.text


def test_a_long_value_line_gets_a_font_small_enough_to_fit_the_panel(
    data_service: DataService,
) -> None:
    panel = ValuePanel("log/current", precision=12)
    panel.subscribe(data_service)
    data_service["log/current"] = sc.DataArray(
        sc.scalar(1234.56789012, variance=0.0001234, unit="uA")
    )
    panel.draw()

    value_line = panel.source.data["text"][1]
    size = int(panel.source.data["size"][1].removesuffix("px"))
    # A bold character is at most 0.62 em wide; the text starts at 4 %.
    assert len(value_line) * 0.62 * size <= 0.92 * panel.width
    assert size < 24


def test_the_panels_saved_image_is_named_after_key_view_and_time(
    data_service: DataService,
) -> None:
    panel = ValuePanel("log/sample_temperature")
    panel.file_view = "latest"
    panel.subscribe(data_service)
    root = panel.root
    data_service["log/sample_temperature"] = scalar(0, value=295.0, unit="K")
    panel.draw(now_ns=T0_NS + 10**9)
    (save,) = [tool for tool in root.tools if isinstance(tool, SaveTool)]
    stamp = np.datetime64(T0_NS, "ns").astype("datetime64[s]").item()
    assert save.filename == f"log-sample_temperature_latest_{stamp:%Y%m%dT%H%M%S}Z"


def test_a_new_value_sends_only_the_columns_it_changes(
    data_service: DataService,
) -> None:
    frame = scalar(0, value=295.0, unit="K")
    panel = shown(data_service, "log/sample_temperature", frame)
    document = Document()
    document.add_root(panel.source)
    changes: list[ColumnDataChangedEvent] = []
    document.on_change(lambda event: changes.append(event))

    data_service["log/sample_temperature"] = scalar(1, value=296.0, unit="K")
    panel.draw(now_ns=T0_NS)

    [change] = changes
    assert isinstance(change, ColumnDataChangedEvent)
    assert change.cols == ["text"]  # same size, same colours: the text alone
    assert panel.source.data["text"][1] == "296 K"
    assert panel.source.data["x"] == [0.04, 0.04, 0.04]  # the rows stay
