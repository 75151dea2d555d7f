import numpy as np
import pytest
import scipp as sc
from bokeh.core.property.container import ColumnData
from bokeh.document import Document
from bokeh.document.events import ColumnDataChangedEvent, ColumnsStreamedEvent
from bokeh.models import CustomJSHover, CustomJSTickFormatter, HoverTool

from app.data import DataService
from app.plotters import SlidingWindowPlotter, window_update
from app.plotters.scale import SHRINK_AFTER_NS
from app.plotters.sliding_window import frames_extent
from tests.plotters.drawn_models import colour_bar
from tests.plotters.plotter_frames import PERIOD_NS, T0_NS, scalar, spectrum, stamp


def window_of(*indices: int) -> sc.DataArray:
    """A window as the DataService stacks it: a 1-D time coord, even for one frame."""
    frames = [scalar(i) for i in indices]
    window = sc.concat([frame.drop_coords("time") for frame in frames], "time")
    window.coords["time"] = sc.concat(
        [frame.coords["time"] for frame in frames], "time"
    )
    return window


def feed(data_service: DataService, key: str, indices, make=scalar) -> None:
    for index in indices:
        data_service[key] = make(index)


class TestWindowUpdate:
    def test_first_window_is_shown_whole(self) -> None:
        update = window_update(
            window_of(0, 1), last_time_ns=None, shown=0, window_size=5
        )
        assert update.reset
        assert update.frames.sizes["time"] == 2

    def test_only_frames_newer_than_the_last_drawn_are_new(self) -> None:
        update = window_update(
            window_of(1, 2, 3, 4),
            last_time_ns=T0_NS + 2 * PERIOD_NS,
            shown=3,
            window_size=4,
        )
        assert not update.reset
        assert list(update.frames.values) == [3.0, 4.0]

    def test_nothing_new_gives_none(self) -> None:
        update = window_update(
            window_of(0, 1), last_time_ns=T0_NS + PERIOD_NS, shown=2, window_size=5
        )
        assert update is None

    def test_window_shorter_than_shown_plus_new_means_history_restarted(
        self,
    ) -> None:
        update = window_update(
            window_of(7), last_time_ns=T0_NS + 6 * PERIOD_NS, shown=5, window_size=5
        )
        assert update.reset
        assert list(update.frames.values) == [7.0]

    def test_every_plot_of_a_window_is_handed_the_same_new_frames(self) -> None:
        # Sessions' plots of one key are handed the same window: its new
        # frames and their extents are sliced and found once for all.
        window = window_of(1, 2, 3, 4)
        updates = [
            window_update(
                window, last_time_ns=T0_NS + 2 * PERIOD_NS, shown=3, window_size=4
            )
            for _ in range(2)
        ]
        assert updates[0].frames is updates[1].frames
        lows, highs = frames_extent(updates[0].frames)
        assert frames_extent(updates[1].frames)[0] is lows
        assert list(lows) == list(highs) == [3.0, 4.0]
        with pytest.raises(ValueError, match="read-only"):
            lows[0] = 0.0
        # Another count of new frames is another slice.
        other = window_update(
            window, last_time_ns=T0_NS + 1 * PERIOD_NS, shown=3, window_size=4
        )
        assert list(other.frames.values) == [2.0, 3.0, 4.0]

    def test_time_going_backwards_resets(self) -> None:
        update = window_update(
            window_of(0, 1), last_time_ns=T0_NS + 9 * PERIOD_NS, shown=2, window_size=5
        )
        assert update.reset


def waterfall_drawn(
    data_service: DataService, document: Document, window_size: int, frames: int
) -> SlidingWindowPlotter:
    """A waterfall of ``monitor/m1`` in `document`, its first `frames` drawn."""
    plotter = SlidingWindowPlotter("monitor/m1", window_size=window_size, frame_ndim=1)
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    feed(data_service, "monitor/m1", range(frames), make=spectrum)
    plotter.draw()
    return plotter


def window_of_three(
    data_service: DataService, document: Document
) -> SlidingWindowPlotter:
    """A window of 4 on ``log/t`` in `document`, drawn with its first 3 values."""
    plotter = SlidingWindowPlotter("log/t", window_size=4)
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    feed(data_service, "log/t", range(3))
    plotter.draw()
    return plotter


def test_time_series_streams_only_new_points(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = window_of_three(data_service, document)
    document_events.clear()

    with data_service.transaction():
        feed(data_service, "log/t", [3, 4])
    plotter.draw()

    (streamed,) = document_events.of_kind(ColumnsStreamedEvent)
    assert list(streamed.data["value"]) == [3.0, 4.0]
    assert streamed.rollover == 4
    assert document_events.of_kind(ColumnDataChangedEvent) == []


def test_a_few_new_points_go_inside_the_message_not_as_binary_buffers(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = SlidingWindowPlotter("log/t", window_size=100)
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    feed(data_service, "log/t", range(3))
    plotter.draw()
    document_events.clear()

    feed(data_service, "log/t", [3])
    plotter.draw()

    (streamed,) = document_events.of_kind(ColumnsStreamedEvent)
    # Plain lists: Bokeh sends numpy arrays as binary buffers.
    assert {name: type(column) for name, column in streamed.data.items()} == {
        "time": list,
        "value": list,
    }
    assert streamed.data == {"time": [T0_NS / 1e6 + 600.0], "value": [3.0]}
    assert list(plotter.source.data["value"]) == [0.0, 1.0, 2.0, 3.0]


def test_a_few_new_waterfall_rows_send_only_the_rows_as_binary_buffers(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = waterfall_drawn(data_service, document, window_size=10, frames=3)
    document_events.clear()

    feed(data_service, "monitor/m1", [3], make=spectrum)
    plotter.draw()

    (streamed,) = document_events.of_kind(ColumnsStreamedEvent)
    # A row's own numbers were four binary buffers of 8 bytes, each two more
    # websocket writes per frame and session.
    assert {name: type(column) for name, column in streamed.data.items()} == {
        "row": list,
        "start": list,
        "time": list,
        "x0": list,
        "dw": list,
    }
    assert [type(row) for row in streamed.data["row"]] == [np.ndarray]
    assert streamed.data["time"] == [(T0_NS + 3 * PERIOD_NS) / 1e6]
    assert len(plotter.source.data["x0"]) == 4


@pytest.mark.parametrize("window_size", [1, 3, 10])
def test_window_holds_exactly_n_points_once_n_arrived_and_never_more(
    data_service: DataService, window_size: int
) -> None:
    plotter = SlidingWindowPlotter("log/t", window_size=window_size)
    document = Document()
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    # Draws after one, two and three updates, as frames would see them.
    for index in range(3 * window_size):
        with data_service.transaction():
            feed(data_service, "log/t", range(2 * index, 2 * index + 2))
        plotter.draw()
        expected = min(window_size, 2 * index + 2)
        values = list(plotter.source.data["value"])
        assert len(values) == expected
        assert values == [
            float(v) for v in range(2 * index + 2 - expected, 2 * index + 2)
        ]
    assert plotter.shown == window_size


def test_restarted_history_replaces_the_shown_window(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = SlidingWindowPlotter("log/t", window_size=5)
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    feed(data_service, "log/t", range(5))
    plotter.draw()
    document_events.clear()

    # Another unit does not fit the buffer: the key's history starts anew.
    data_service["log/t"] = scalar(5, unit="mK")
    plotter.draw()

    assert list(plotter.source.data["value"]) == [5.0]
    assert plotter.root.yaxis[0].axis_label == "value [mK]"
    assert document_events.of_kind(ColumnsStreamedEvent) == []


def test_changing_window_size_re_registers_and_grows_the_buffer(
    data_service: DataService,
) -> None:
    plotter = SlidingWindowPlotter("log/t", window_size=3)
    plotter.subscribe(data_service)
    feed(data_service, "log/t", range(6))
    plotter.draw()
    count = data_service.subscriber_count

    plotter.window_size = 10
    plotter.draw()
    assert data_service.buffer_stats()["log/t"].max_size == 10
    assert data_service.subscriber_count == count
    assert list(plotter.source.data["value"]) == [3.0, 4.0, 5.0]

    feed(data_service, "log/t", range(6, 16))
    plotter.draw()
    assert list(plotter.source.data["value"]) == [float(v) for v in range(6, 16)]

    plotter.window_size = 2
    plotter.draw()
    assert list(plotter.source.data["value"]) == [14.0, 15.0]


def test_waterfall_streams_one_image_row_per_new_spectrum(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = waterfall_drawn(data_service, document, window_size=3, frames=2)
    document_events.clear()

    with data_service.transaction():
        feed(data_service, "monitor/m1", [2, 3], make=spectrum)
    plotter.draw()

    (streamed,) = document_events.of_kind(ColumnsStreamedEvent)
    assert [row.shape for row in streamed.data["row"]] == [(8,), (8,)]
    np.testing.assert_allclose(streamed.data["row"][1], spectrum(3).values)
    # Each row spans from the frame before it to its own time, in ms.
    np.testing.assert_allclose(
        streamed.data["start"], [(T0_NS + i * PERIOD_NS) / 1e6 for i in (1, 2)]
    )
    np.testing.assert_allclose(
        streamed.data["time"], [(T0_NS + i * PERIOD_NS) / 1e6 for i in (2, 3)]
    )
    assert len(plotter.source.data["row"]) == 3
    assert (plotter.source.data["x0"][0], plotter.source.data["dw"][0]) == (0.0, 80.0)
    assert colour_bar(plotter).title == "counts"


def test_waterfall_rows_are_in_the_document_without_being_drawn(
    document: Document,
) -> None:
    plotter = SlidingWindowPlotter("monitor/m1", window_size=3, frame_ndim=1)
    document.add_root(plotter.root)
    assert document.get_model_by_name("window:monitor/m1") is plotter.source
    (drawn,) = [r.data_source for r in plotter.root.renderers]
    assert drawn.name == "waterfall:monitor/m1"
    assert set(plotter.source.js_property_callbacks) == {
        "streaming",
        "change:data",
    }


def test_time_series_plots_against_time_in_epoch_ms(
    data_service: DataService,
) -> None:
    plotter = SlidingWindowPlotter("log/t", window_size=3)
    plotter.subscribe(data_service)
    feed(data_service, "log/t", range(2))
    plotter.draw()
    np.testing.assert_allclose(
        plotter.source.data["time"], [T0_NS / 1e6, (T0_NS + PERIOD_NS) / 1e6]
    )
    assert plotter.root.yaxis[0].axis_label == "value [K]"


def test_waterfall_colour_range_covers_every_frame_of_the_window(
    data_service: DataService,
) -> None:
    plotter = SlidingWindowPlotter("monitor/m1", window_size=4, frame_ndim=1)
    plotter.subscribe(data_service)
    feed(data_service, "monitor/m1", [0], make=spectrum)
    plotter.draw(now_ns=T0_NS)
    # Spectrum i holds i to i + 7: the first sets the low end, the last the high.
    for index in range(1, 4):
        feed(data_service, "monitor/m1", [index], make=spectrum)
        plotter.draw(now_ns=T0_NS + index * PERIOD_NS)
    mapper = colour_bar(plotter).color_mapper
    assert (mapper.low, mapper.high) == pytest.approx((-0.35, 10.5))


def test_waterfall_colour_range_keeps_a_frame_still_in_the_window_past_the_hold(
    data_service: DataService,
) -> None:
    plotter = SlidingWindowPlotter("monitor/m1", window_size=4, frame_ndim=1)
    plotter.subscribe(data_service)
    spike = spectrum(0)
    spike.values[3] = 700.0
    data_service["monitor/m1"] = spike
    plotter.draw(now_ns=T0_NS)
    # Two holds later the spike is still one of the window's four rows.
    for index in (1, 2):
        feed(data_service, "monitor/m1", [index], make=spectrum)
        plotter.draw(now_ns=T0_NS + index * SHRINK_AFTER_NS)

    assert colour_bar(plotter).color_mapper.high >= 700.0


def test_paused_window_catches_up_with_every_frame_up_to_n_on_resume(
    data_service: DataService, document: Document, document_events
) -> None:
    plotter = SlidingWindowPlotter("log/t", window_size=5)
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    feed(data_service, "log/t", range(3))
    plotter.draw()

    plotter.paused = True
    for index in range(3, 10):
        feed(data_service, "log/t", [index])
        assert not plotter.draw()
    assert list(plotter.source.data["value"]) == [0.0, 1.0, 2.0]
    document_events.clear()

    plotter.paused = False
    assert plotter.draw()
    assert list(plotter.source.data["value"]) == [5.0, 6.0, 7.0, 8.0, 9.0]
    (streamed,) = document_events.of_kind(ColumnsStreamedEvent)
    assert list(streamed.data["value"]) == [5.0, 6.0, 7.0, 8.0, 9.0]


@pytest.mark.parametrize("frame_ndim", [0, 1])
def test_time_axis_is_formatted_in_the_browser_in_local_time(frame_ndim: int) -> None:
    plotter = SlidingWindowPlotter("log/t", window_size=3, frame_ndim=frame_ndim)
    axis = plotter.root.select_one({"name": "time-axis:log/t"})
    assert isinstance(axis.formatter, CustomJSTickFormatter)
    assert axis.formatter.args["axis"] is axis
    (hover,) = plotter.root.select(HoverTool)
    assert all(isinstance(f, CustomJSHover) for f in hover.formatters.values())


def test_waterfall_leaves_masked_bins_undrawn_and_out_of_the_colour_range(
    data_service: DataService,
) -> None:
    plotter = SlidingWindowPlotter("monitor/m1", window_size=4, frame_ndim=1)
    plotter.subscribe(data_service)
    for index in range(2):
        frame = spectrum(index)
        frame.values[0] = 1000.0
        frame.masks["noisy"] = sc.array(dims=["tof"], values=[True] + [False] * 7)
        data_service["monitor/m1"] = frame
    plotter.draw(now_ns=T0_NS)

    rows = plotter.source.data["row"]
    assert all(np.isnan(row[0]) and np.isfinite(row[1:]).all() for row in rows)
    assert colour_bar(plotter).color_mapper.high < 1000.0


def test_waterfall_rows_of_geometric_bins_are_drawn_where_the_bins_are(
    data_service: DataService,
) -> None:
    edges = np.geomspace(10.0, 1e5, 17)
    values = np.ones(16)
    values[12] = 50.0
    plotter = SlidingWindowPlotter("monitor/m1", window_size=4, frame_ndim=1)
    plotter.subscribe(data_service)
    for index in range(2):
        frame = sc.DataArray(
            sc.array(dims=["tof"], values=values, unit="counts"),
            coords={"tof": sc.array(dims=["tof"], values=edges, unit="us")},
        )
        data_service["monitor/m1"] = stamp(frame, index)
    plotter.draw(now_ns=T0_NS)

    data = plotter.source.data
    row = data["row"][-1]
    x0, dw = data["x0"][-1], data["dw"][-1]
    centres = x0 + (np.arange(row.size) + 0.5) * dw / row.size
    lit = centres[row == 50.0]
    assert lit.size
    assert lit.min() >= edges[12]
    assert lit.max() <= edges[13]
    # The cells of the bright bin cover it but for less than a cell at each end.
    assert lit.size == pytest.approx((edges[13] - edges[12]) / (dw / row.size), abs=2)


def test_a_frame_streams_its_columns_without_bokeh_checking_them_again(
    data_service: DataService, document: Document, monkeypatch: pytest.MonkeyPatch
) -> None:
    plotter = window_of_three(data_service, document)
    checked: list[object] = []
    check = ColumnData.validate

    def counted(self: ColumnData, value: object, detail: bool = True) -> None:
        checked.append(value)
        check(self, value, detail)

    monkeypatch.setattr(ColumnData, "validate", counted)

    feed(data_service, "log/t", [3])
    plotter.draw()

    assert list(plotter.source.data["value"]) == [0.0, 1.0, 2.0, 3.0]
    assert checked == []  # Bokeh's check of the whole data after the stream
    plotter.source.data = dict(plotter.source.data)  # anyone else's change is
    assert len(checked) == 1  # checked as before
