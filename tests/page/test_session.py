import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

import panel as pn
import pytest
import scipp as sc
from bokeh.document import Document
from bokeh.models import AbstractButton, Div
from panel.io.state import set_curdoc

from app.bokeh_buttons import PANEL_BUTTON_CSS
from app.ingestion.process import Ingestion
from app.limits import MAX_AUTO_PLOTS, MAX_LAYOUT_URL_CHARS
from app.limits import MAX_LAYOUT_PLOTS as MAX_PAGE
from app.options import DashboardOptions
from app.page.frame_clock import FrameClock, FrameStats
from app.page.layout_file import Layout, parse_url_layout
from app.page.session import PLOTS_PER_SLICE, DashboardSession
from app.plot_spec import PlotSpec
from app.plotters import ImagePlotter, LinePlotter, SlidingWindowPlotter, ValuePanel
from app.plotters.figure_plot import FigurePlotter
from app.sources import Message, SimulatedInstrument, SourceStatus
from app.testing.many_plots import many_plots, too_long_for_a_link
from tests.ingestion.test_orchestrator import ListSource
from tests.page.card_parts import header_models, open_settings

T0_NS = 1_790_000_000_000_000_000


class HandClock(FrameClock):
    """A frame clock that schedules nothing (the test draws the frames) and
    whose browser is behind while `behind` is set."""

    behind = False

    def start(self, document: Document | None) -> None:
        pass

    @property
    def stats(self) -> FrameStats:
        return replace(super().stats, behind_s=1.0 if self.behind else 0.0)


@pytest.fixture
def ingestion() -> Ingestion:
    """An ingestion whose loop the test turns by hand, on a clock it controls."""
    ticks = itertools.count()
    instrument = SimulatedInstrument(
        seed=1, rate_hz=5.0, clock=lambda: T0_NS + next(ticks) * 200_000_000
    )
    # One update applies a whole tick, however busy the machine.
    return Ingestion(instrument, ingest_period_s=1.0, max_batch_seconds=3600.0)


def test_layout_is_chosen_by_dimensionality(ingestion: Ingestion) -> None:
    ingestion.orchestrator.update()
    session = DashboardSession(ingestion, DashboardOptions(window_size=7))
    kinds = {(type(p).__name__, p.key) for p in session.plotters}
    assert kinds == {
        ("ImagePlotter", "detector/panel_0"),
        ("LinePlotter", "monitor/m1"),
        ("LinePlotter", "monitor/m2"),
        ("SlidingWindowPlotter", "monitor/m1"),
        ("SlidingWindowPlotter", "monitor/m2"),
        ("ValuePanel", "log/sample_temperature"),
        ("ValuePanel", "log/motor_x"),
        ("ValuePanel", "log/proton_current"),
        ("SlidingWindowPlotter", "log/sample_temperature"),
        ("SlidingWindowPlotter", "log/motor_x"),
        ("SlidingWindowPlotter", "log/proton_current"),
        ("ValuePanel", "detector/scan_counts"),
        ("SlidingWindowPlotter", "detector/scan_counts"),
    }
    windows = [p for p in session.plotters if isinstance(p, SlidingWindowPlotter)]
    assert {p.window_size for p in windows} == {7}
    rows = session.grid.rows
    assert [len(rows[r]) for r in ("values", "latest", "windows")] == [4, 3, 6]


def test_nothing_is_subscribed_before_the_browser_connects(
    ingestion: Ingestion,
) -> None:
    ingestion.orchestrator.update()
    DashboardSession(ingestion, DashboardOptions())
    assert ingestion.data_service.subscriber_count == 0
    assert ingestion.sessions == 0


def test_started_session_draws_and_close_unregisters_everything(
    ingestion: Ingestion,
) -> None:
    ingestion.orchestrator.update()
    session = DashboardSession(ingestion, DashboardOptions())
    session.start()
    try:
        assert ingestion.data_service.subscriber_count == len(session.plotters)
        assert ingestion.sessions == 1
        ingestion.orchestrator.update()
        session.draw_frame()
        (image,) = [p for p in session.plotters if isinstance(p, ImagePlotter)]
        assert image.source.data["image"][0].shape == (128, 128)
        assert "1 sessions" in session.status.div.text
    finally:
        session.close(None)
    assert ingestion.data_service.subscriber_count == 0
    assert ingestion.sessions == 0
    session.close(None)
    assert ingestion.sessions == 0


def test_keys_arriving_later_get_plots_in_running_sessions(
    ingestion: Ingestion,
) -> None:
    session = DashboardSession(ingestion, DashboardOptions(keys=("monitor/m1",)))
    assert session.plotters == ()
    session.start()
    try:
        ingestion.orchestrator.update()
        session.draw_frame()
        assert [type(p) for p in session.plotters] == [
            LinePlotter,
            SlidingWindowPlotter,
        ]
        assert ingestion.data_service.subscriber_count == 2
        assert len(session.plotters[0].source.data["y"]) == 200
    finally:
        session.close(None)


def test_renderer_option_reaches_every_figure(ingestion: Ingestion) -> None:
    ingestion.orchestrator.update()
    session = DashboardSession(ingestion, DashboardOptions(renderer="webgl"))
    figures = [p.root for p in session.plotters if not isinstance(p, ValuePanel)]
    assert len(figures) == 9
    assert {figure.output_backend for figure in figures} == {"webgl"}


def scalar_log(value: float, t_ns: int = T0_NS) -> sc.DataArray:
    return sc.DataArray(
        sc.scalar(value, unit="K"), coords={"time": sc.datetime(t_ns, unit="ns")}
    )


def spectrum(values: list[float], t_ns: int = T0_NS) -> sc.DataArray:
    return sc.DataArray(
        sc.array(dims=["tof"], values=values, unit="counts"),
        coords={"time": sc.datetime(t_ns, unit="ns")},
    )


def image(t_ns: int = T0_NS) -> sc.DataArray:
    return sc.DataArray(
        sc.ones(dims=["y", "x"], shape=[4, 5], unit="counts"),
        coords={"time": sc.datetime(t_ns, unit="ns")},
    )


@pytest.fixture
def quiet_ingestion() -> Ingestion:
    """An ingestion whose data service the test fills by hand."""
    return Ingestion(SimulatedInstrument(seed=1, streams=[]), ingest_period_s=1.0)


def kinds(session: DashboardSession, key: object) -> list[str]:
    return [type(p).__name__ for p in session.plotters if p.key == key]


def test_a_key_that_changes_kind_gets_the_plots_of_its_new_kind_in_every_session(
    quiet_ingestion: Ingestion, caplog
) -> None:
    ds = quiet_ingestion.data_service
    ds["log/t"] = scalar_log(1.0)
    sessions = [DashboardSession(quiet_ingestion, DashboardOptions()) for _ in range(2)]
    for session in sessions:
        session.start()
    try:
        for session in sessions:
            session.draw_frame()
            assert kinds(session, "log/t") == ["ValuePanel", "SlidingWindowPlotter"]
        with caplog.at_level("ERROR"):
            ds["log/t"] = spectrum([1.0, 2.0, 3.0], T0_NS + 1)
            for session in sessions:
                session.draw_frame()
                session.draw_frame()
        assert not [r for r in caplog.records if r.levelname == "ERROR"]
        for session in sessions:
            assert kinds(session, "log/t") == ["LinePlotter", "SlidingWindowPlotter"]
            line = session.plotters[0]
            assert list(line.source.data["y"]) == [1.0, 2.0, 3.0]
            assert all("1 K" not in p.header for p in session.plotters)
        ds["log/t"] = image(T0_NS + 2)
        for session in sessions:
            session.draw_frame()
            assert kinds(session, "log/t") == ["ImagePlotter"]
        assert ds.subscriber_count == 2
    finally:
        for session in sessions:
            session.close(None)
    assert ds.subscriber_count == 0


def test_a_plot_that_cannot_draw_says_why_and_logs_once_not_every_frame(
    quiet_ingestion: Ingestion, caplog
) -> None:
    from app.plotters import ValuePanel as Panel

    ds = quiet_ingestion.data_service
    panel = Panel("log/t")
    panel.subscribe(ds)
    with caplog.at_level("ERROR"):
        for i in range(5):
            ds["log/t"] = spectrum([1.0, float(i)], T0_NS + i)
            panel.draw(T0_NS + i)
    assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1
    assert panel.failure is not None
    assert "cannot draw" in panel.text
    assert "age < 1 s" not in panel.text


def test_one_failing_plot_does_not_cost_the_others_their_frame(
    quiet_ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = quiet_ingestion.data_service
    with ds.transaction():
        ds["log/a"] = scalar_log(1.0)
        ds["log/b"] = scalar_log(1.0)
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    session.start()
    try:
        # The plots of log/a are drawn first: those after them must get their frame.
        assert session.plotters[0].key == "log/a"
        for plotter in session.plotters:
            if plotter.key == "log/a":
                monkeypatch.setattr(plotter, "draw", _broken)
        ds["log/b"] = scalar_log(2.0, T0_NS + 1)
        session.draw_frame()
        (panel,) = [
            p for p in session.plotters if type(p) is ValuePanel and p.key == "log/b"
        ]
        assert "2 K" in panel.text
    finally:
        session.close(None)


def _broken(now_ns: int | None = None) -> bool:
    raise RuntimeError("broken")


def test_the_automatic_layout_stops_at_its_cap_and_says_how_many_keys_are_left_out(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    with ds.transaction():
        for i in range(60):
            ds[f"log/{i:02d}"] = scalar_log(float(i))
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    assert len(session.plotters) == MAX_AUTO_PLOTS
    shown = MAX_AUTO_PLOTS // 2
    assert {p.key for p in session.plotters} == {f"log/{i:02d}" for i in range(shown)}
    assert f"{60 - shown} more keys not shown" in session.hidden_keys.text


def test_keys_the_layout_cannot_plot_do_not_stop_the_session(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    ds["events"] = sc.data.binned_x(100, 10)
    ds["note"] = "beam off"
    ds[("log", 7)] = scalar_log(3.0)
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    session.start()
    try:
        session.draw_frame()
        assert {p.key for p in session.plotters} == {("log", 7)}
        (panel,) = [p for p in session.plotters if type(p) is ValuePanel]
        assert "3 K" in panel.text
        assert "('log', 7)" in panel.text
    finally:
        session.close(None)


def views(session: DashboardSession) -> list[tuple[object, str]]:
    return [(spec.key, spec.view) for spec in session.layout.plots]


def test_the_operator_adds_removes_and_changes_plots_and_the_layout_is_kept(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    ds["log/t"] = scalar_log(1.0)
    ds["detector/d"] = image()
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    session.start()
    try:
        assert session.layout_state.text == ""
        session.add_plot("detector/d", "aggregate")
        assert ("detector/d", "aggregate") in views(session)
        assert not session.automatic
        # A key that arrives now is not added: the layout is the operator's.
        ds["log/new"] = scalar_log(2.0)
        session.draw_frame()
        assert "log/new" not in {p.key for p in session.plotters}
        (window,) = [p for p in session.layout.plots if p.view == "window"]
        session.change_view(window, "time_window")
        (changed,) = [
            p
            for p in session.plotters
            if isinstance(p, SlidingWindowPlotter) and p.key == "log/t"
        ]
        assert changed.seconds == 300.0
        panel = next(
            p for p in session.layout.plots if p.view == "latest" and p.key == "log/t"
        )
        session.remove_plot(panel)
        # The automatic layout lists keys by group ("detector/" before "log/").
        assert views(session) == [
            ("detector/d", "latest"),
            ("log/t", "time_window"),
            ("detector/d", "aggregate"),
        ]
        assert ds.subscriber_count == 3
        stored = parse_url_layout(session.layout_state.text)
        assert stored == session.layout
        session.use_default_layout()
        assert session.automatic
        assert session.layout_state.text == ""
        assert {p.key for p in session.plotters} == {"log/t", "detector/d", "log/new"}
    finally:
        session.close(None)
    assert ds.subscriber_count == 0


def test_a_layout_shows_its_plots_as_their_keys_arrive_and_skips_views_a_key_lacks(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    layout = Layout(
        (
            PlotSpec("monitor/m", "aggregate", seconds=10.0, op="sum"),
            PlotSpec("detector/d", "window", frames=5),
        )
    )
    session = DashboardSession(
        quiet_ingestion, DashboardOptions(), layout=layout, default=layout
    )
    assert session.plotters == ()
    ds["monitor/m"] = spectrum([1.0, 2.0])
    ds["detector/d"] = image()
    ds["log/other"] = scalar_log(1.0)
    session.draw_frame()
    assert views(session) == [("monitor/m", "aggregate")]
    assert session.layout_state.text == ""  # the layout given is the default


def test_a_layout_plot_whose_key_lacks_its_view_is_said_on_the_page(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    layout = Layout((PlotSpec("detector/d", "window", frames=5),))
    session = DashboardSession(quiet_ingestion, DashboardOptions(), layout=layout)
    assert session.message.text == ""  # its key has not come yet
    ds["detector/d"] = image()
    session.draw_frame()
    assert session.plotters == ()
    # Custom views other tests registered may be offered too.
    assert session.message.text.startswith(
        "key 'detector/d': an image offers no 'window' view "
        "(it offers latest, aggregate"
    )
    assert session.message.text.endswith("): not shown")
    ds["detector/d"] = spectrum([1.0, 2.0], T0_NS + 1)  # now it offers a window
    session.draw_frame()
    assert views(session) == [("detector/d", "window")]
    assert session.message.text == ""


def long_layout() -> Layout:
    """A layout whose URL form is longer than a link carries."""
    return too_long_for_a_link(PlotSpec("log/t"))


def test_a_layout_too_long_for_a_link_is_kept_and_the_page_says_to_download_it(
    quiet_ingestion: Ingestion,
) -> None:
    quiet_ingestion.data_service["log/t"] = scalar_log(1.0)
    layout = long_layout()
    session = DashboardSession(quiet_ingestion, DashboardOptions(), layout=layout)
    assert session.layout_state.text == layout.to_url()  # the browser keeps it
    text = session.message.text
    assert text.startswith("this layout is too long to share by link (")
    assert f"a link carries {MAX_LAYOUT_URL_CHARS:,}" in text
    assert text.endswith("use Download layout to share it")
    session.remove_plot(layout.plots[-1])
    session.remove_plot(layout.plots[-2])
    assert "too long" in session.message.text
    session.use_default_layout()
    assert session.message.text == ""


def test_a_stored_layout_too_long_for_a_link_is_shown_when_the_browser_hands_it(
    quiet_ingestion: Ingestion,
) -> None:
    quiet_ingestion.data_service["log/t"] = scalar_log(1.0)
    layout = long_layout()
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    assert session.automatic
    session.stored_layout.text = layout.to_url()  # as the page's restore does
    assert not session.automatic
    assert session.layout == Layout((PlotSpec("log/t"),))  # shown as keys come
    assert session.layout_state.text == layout.to_url()
    session.use_stored_layout("bm90IGpzb24")
    assert "this browser's stored" in session.message.text
    assert "not JSON" in session.message.text


def test_the_pill_turns_amber_for_a_stale_plot_and_red_for_a_source_down(
    quiet_ingestion: Ingestion,
) -> None:
    activity = quiet_ingestion.activity
    activity["log/t"] = scalar_log(1.0)
    now_ns = [activity.get("log/t").last_ns]
    session = DashboardSession(
        quiet_ingestion, DashboardOptions(), clock_ns=lambda: now_ns[0]
    )
    session.draw_frame()
    assert session.pill.health.state == "live"
    now_ns[0] += 60 * 1_000_000_000
    session.draw_frame()
    assert session.pill.health.state == "degraded"
    assert "log/t" in session.pill.health.reason
    assert "#e0a000" in session.pill.div.text


class _OnChangeSource(ListSource):
    """A source whose log key publishes only when its value changes."""

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(
            connected=True, description="list", on_change_keys=frozenset({"log/t"})
        )


def test_a_quiet_key_that_publishes_on_change_keeps_the_pill_and_header_calm() -> None:
    ingestion = Ingestion(_OnChangeSource(), ingest_period_s=1.0)
    activity = ingestion.activity
    activity["log/t"] = scalar_log(1.0, time.time_ns())
    activity["log/fast"] = scalar_log(2.0, time.time_ns())
    now_ns = [activity.get("log/fast").last_ns]
    session = DashboardSession(
        ingestion, DashboardOptions(), clock_ns=lambda: now_ns[0]
    )
    session.start()
    try:
        session.draw_frame()
        an_hour_later = activity.get("log/t").last_ns + 3600 * 1_000_000_000
        now_ns[0] = an_hour_later
        session.draw_frame()
        # The motor at rest is not stale; the key that stopped is.
        assert session.pill.health.state == "degraded"
        assert session.pill.health.reason == "1 stale: log/fast"
        for plotter in session.plotters:
            plotter.draw(an_hour_later)
            assert plotter.stale == (plotter.key == "log/fast")
            if plotter.key == "log/t":
                assert plotter.age_text == "age 60 min"
    finally:
        session.close(None)


@pytest.mark.parametrize(
    ("options", "span"),
    [
        (DashboardOptions(), "30 s"),
        (DashboardOptions(losses_remembered_s=12.0), "12 s"),
    ],
)
def test_the_pill_turns_amber_while_messages_are_rejected_and_says_why(
    options: DashboardOptions, span: str
) -> None:
    good = Message("log/t", scalar_log(1.0), T0_NS)
    # One update applies a whole batch, however busy the machine.
    ingestion = Ingestion(
        ListSource([good], [Message("", 1.0, T0_NS)] * 3),
        ingest_period_s=1.0,
        max_batch_seconds=3600.0,
    )
    ingestion.orchestrator.update()
    now_ns = [time.time_ns()]
    session = DashboardSession(ingestion, options, clock_ns=lambda: now_ns[0])
    session.draw_frame()
    assert session.pill.health.state == "live"

    ingestion.orchestrator.update()
    now_ns[0] += 1_000_000_000
    session.draw_frame()

    assert session.pill.health.state == "degraded"
    reason = f"lost in the last {span}: 3 invalid key"
    assert session.pill.health.reason == reason
    assert f'title="{reason}"' in session.pill.div.text


def test_the_status_changes_once_a_second_and_once_in_five_while_the_browser_is_behind(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    now_ns = [T0_NS]
    clocks: list[HandClock] = []

    def frame_clock(
        draw: Callable[[], None], period_s: float, **kwargs: float
    ) -> HandClock:
        clocks.append(HandClock(draw, period_s, **kwargs))
        return clocks[-1]

    session = DashboardSession(
        ingestion,
        DashboardOptions(),
        clock_ns=lambda: now_ns[0],
        frame_clock=frame_clock,
    )
    (clock,) = clocks
    updates = []
    show = session.status.show
    monkeypatch.setattr(
        session.status,
        "show",
        lambda *args: (updates.append(now_ns[0]), show(*args)),
    )

    def frames_for(seconds: int) -> int:
        """Draw a frame every 0.25 s; how many updated the status."""
        before = len(updates)
        for _ in range(seconds * 4):
            session.draw_frame()
            now_ns[0] += 250_000_000
        return len(updates) - before

    assert frames_for(5) == 5
    # The browser skips frames: every changed text costs it a layout.
    clock.behind = True
    assert frames_for(10) == 2
    clock.behind = False
    assert frames_for(5) in (4, 5)  # the first waits out the 5 s period


def test_a_frame_never_waits_for_a_batch_that_holds_the_data_service(
    quiet_ingestion: Ingestion,
) -> None:
    import threading

    ds = quiet_ingestion.data_service
    ds["log/a"] = scalar_log(1.0)
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    session.start()
    inside, release = threading.Event(), threading.Event()

    def long_batch() -> None:
        with ds.transaction():
            ds["log/b"] = scalar_log(2.0)
            inside.set()
            release.wait(10)

    ingestion_thread = threading.Thread(target=long_batch)
    ingestion_thread.start()
    try:
        assert inside.wait(5)
        frame = threading.Thread(target=session.draw_frame)
        frame.start()
        frame.join(2.0)
        assert not frame.is_alive(), "the frame waited for the batch"
    finally:
        release.set()
        ingestion_thread.join()
        session.close(None)


def test_a_plot_out_of_view_keeps_its_data_pending_and_catches_up_in_view(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    ds["log/t"] = scalar_log(1.0)
    session = DashboardSession(quiet_ingestion, DashboardOptions(keys=("log/t",)))
    session.start()
    try:
        (window,) = [p for p in session.plotters if isinstance(p, SlidingWindowPlotter)]
        (panel,) = [p for p in session.plotters if isinstance(p, ValuePanel)]
        session.visibility.model.tags = [panel.root.id]  # the window is not
        session.draw_frame()  # out of view, drawn once a second
        for i in range(3):
            ds["log/t"] = scalar_log(2.0 + i, T0_NS + (i + 1) * 200_000_000)
            session.draw_frame()
        assert window.source.data["value"].tolist() == [1.0]
        assert window.has_pending
        assert "4 K" in panel.text  # in view: every frame
        session.visibility.model.tags = [panel.root.id, window.root.id]
        session.draw_frame()
        assert window.source.data["value"].tolist() == [1.0, 2.0, 3.0, 4.0]
    finally:
        session.close(None)


def test_a_view_another_card_shows_is_refused_and_the_menu_returns_to_the_cards_own(
    quiet_ingestion: Ingestion,
) -> None:
    quiet_ingestion.data_service["log/t"] = scalar_log(1.0)
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    session.start()
    try:
        (latest,) = [
            card
            for row in session.grid.rows.values()
            for card in row.objects
            if card_says(card) == ("log/t", "latest")
        ]
        choose = view_menu(latest)
        choose.value = "window"  # the other card of log/t shows it
        assert choose.value == "latest"
        assert views(session) == [("log/t", "latest"), ("log/t", "window")]
        assert "log/t is already shown as window of 100 frames" in session.message.text
        choose.value = "time_window"  # a view no card shows
        assert ("log/t", "time_window") in views(session)
        assert session.message.text == ""
    finally:
        session.close(None)


def test_a_served_page_of_100_plots_is_built_in_slices_once_the_browser_connects(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingestion.orchestrator.update()
    document = Document()
    ticks: list = []  # the document's next-tick callbacks, run here one by one
    monkeypatch.setattr(document, "add_next_tick_callback", ticks.append)
    with set_curdoc(document):
        session = DashboardSession(
            ingestion,
            DashboardOptions(),
            layout=many_plots(100),
            frame_clock=HandClock,
        )
        # The page goes out without plots: its first message stays small.
        assert session.plotters == ()
        assert session.progress.text == "building plots: 0 of 100"
        session.start()
    try:
        slices = []
        while ticks:
            built = len(session.plotters)
            ticks.pop(0)()
            slices.append(len(session.plotters) - built)
            if ticks:
                assert session.progress.text == (
                    f"building plots: {cards_on_page(session)} of 100"
                )
        assert sum(slices) == 100
        assert 0 < max(slices) <= PLOTS_PER_SLICE
        assert len(slices) >= 100 // PLOTS_PER_SLICE
        assert session.progress.text == ""
        assert ingestion.data_service.subscriber_count == 100
        assert session.layout == many_plots(100)
    finally:
        session.close(None)
    assert ingestion.data_service.subscriber_count == 0


def test_a_served_pages_row_joins_it_in_a_turn_before_its_first_card(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A row with its first card held the loop twice a card's turn (064).
    with served_page(ingestion, monkeypatch, many_plots(12)) as (session, _, ticks):
        rows_then_cards = []
        while ticks:
            rows, cards = len(session.grid.rows), cards_on_page(session)
            ticks.pop(0)()
            added = (len(session.grid.rows) - rows, cards_on_page(session) - cards)
            if any(added):
                rows_then_cards.append(added)
        assert len(session.plotters) == 12
        assert (1, 0) in rows_then_cards
        assert all(0 in added for added in rows_then_cards)  # never both
        assert sum(rows for rows, _ in rows_then_cards) == len(session.grid.rows)


def test_every_button_of_a_served_pages_cards_and_keys_shares_one_sheet(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served_page(ingestion, monkeypatch, many_plots(6)) as (_, document, ticks):
        run_ticks(ticks)
        styled = {
            button: [
                sheet
                for sheet in button.stylesheets
                if getattr(sheet, "css", None) == PANEL_BUTTON_CSS
            ]
            for button in document.models
            if isinstance(button, AbstractButton)
        }
        styled = {button: sheets for button, sheets in styled.items() if sheets}
        ours = {id(sheet) for sheets in styled.values() for sheet in sheets}
        assert len(ours) == 1
        assert len(styled) > 3 * 6  # every card's ⚙, ✕ and pause, and the keys


def test_a_served_plot_is_made_in_turns_its_figure_a_step_a_turn_then_its_card(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A figure is about two thirds of making a plot: made in turns apart
    # from its card, no turn of a build makes both; a figure in a turn and
    # its glyphs in the next, a whole one held a served loop up to 65 ms
    # (decision 064).
    layout = many_plots(6)
    removed = layout.plots[1]
    figure_turn: dict[PlotSpec, int] = {}
    built_turn: dict[PlotSpec, int] = {}
    card_turn: dict[PlotSpec, int] = {}
    kinds: dict[PlotSpec, type] = {}
    with served_page(ingestion, monkeypatch, layout) as (session, _, ticks):
        turn = 0
        while ticks:
            ticks.pop(0)()
            turn += 1
            for spec in layout.plots:
                if spec in session._figures:
                    figure_turn.setdefault(spec, turn)
                    plotter = session._figures[spec][0].plotter
                    kinds[spec] = type(plotter)
                    if plotter.built:
                        built_turn.setdefault(spec, turn)
                if any(plot.spec == spec for plot in session._plots.values()):
                    card_turn.setdefault(spec, turn)
            if removed in figure_turn and removed in session._wanted:
                session.remove_plot(removed)  # between its two turns
        kept = [spec for spec in layout.plots if spec != removed]
        assert sorted(card_turn, key=layout.plots.index) == kept
        assert all(figure_turn[spec] < card_turn[spec] for spec in kept)
        assert all(built_turn[spec] < card_turn[spec] for spec in kept)
        in_steps = [spec for spec in kept if issubclass(kinds[spec], FigurePlotter)]
        assert in_steps
        assert all(figure_turn[spec] < built_turn[spec] for spec in in_steps)
        assert removed in figure_turn
        assert ingestion.data_service.subscriber_count == len(kept)
        assert session._figures == {}


class ToldCollector:
    """What a session tells the process's page collector (decision 108)."""

    def __init__(self) -> None:
        self.told: list[str] = []

    def building(self, page: object) -> None:
        self.told.append("building")

    def built(self, page: object, plots: int) -> None:
        self.told.append("built")

    def done(self, page: object) -> None:
        self.told.append("done")

    def closed(self, page: object) -> None:
        self.told.append("closed")


def test_a_served_page_says_while_it_opens_so_no_sweep_holds_it(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    collector = ToldCollector()
    layout = many_plots(6)
    with served_page(ingestion, monkeypatch, layout, collector) as (session, _, ticks):
        run_ticks(ticks)
        session.draw_frame()  # the browser is sent the built page
        assert "done" not in collector.told  # it is still building it
        clock = session._clock
        clock._on_acknowledged("tags", [], [clock.stats.sent])  # it built it
        session.draw_frame()
        told = collector.told
        assert told[0] == "building"
        assert told[-1] == "done"
        assert told.count("done") == 1
        assert "built" in told
    assert collector.told[-1] == "closed"


def card_says(card: pn.viewable.Viewable) -> tuple[str, str]:
    """The key and the view a card shows the operator: its header and, with
    its settings opened, its view menu."""
    (label,) = [
        div.text.split(" ")[0]
        for div in header_models(card, Div)
        if "plot-key" in div.css_classes
    ]
    open_settings(card)
    return label, view_menu(card).value


def view_menu(card: pn.viewable.Viewable) -> pn.widgets.Select:
    """A card's menu of views (not its pairing menus)."""
    (choose,) = [
        menu
        for menu in card.select(pn.widgets.Select)
        if "plot-view" in menu.css_classes
    ]
    return choose


@contextmanager
def served_page(
    ingestion: Ingestion,
    monkeypatch: pytest.MonkeyPatch,
    layout: Layout,
    collector: object | None = None,
) -> Iterator[tuple[DashboardSession, Document, list]]:
    """A session whose page is in a document, started, and closed at the end;
    the document's next-tick callbacks (the slices of the build) are left for
    the test to run. A `collector` is told of the build as a served
    document's process collector is (decision 108)."""
    ingestion.orchestrator.update()
    document = Document()
    ticks: list = []
    monkeypatch.setattr(document, "add_next_tick_callback", ticks.append)
    with set_curdoc(document):
        session = DashboardSession(
            ingestion, DashboardOptions(), layout=layout, frame_clock=HandClock
        )
        session.view.server_doc(document)
        session._collector = collector
        session.start()
    try:
        yield session, document, ticks
    finally:
        session.close(None)


def run_ticks(ticks: list) -> None:
    """Run the document's next-tick callbacks, and those they add, in turn."""
    while ticks:
        ticks.pop(0)()


def reachable(document: Document) -> set[str]:
    """The ids of the models a walk of the whole document finds."""
    return {model.id for root in document.roots for model in root.references()}


def test_slices_of_a_served_page_add_their_models_without_walking_the_whole_page(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch, whole_walks: list[int]
) -> None:
    with served_page(ingestion, monkeypatch, many_plots(24)) as page:
        session, document, ticks = page
        whole_walks.clear()  # the page's first walk, before any plot
        slices = 0
        while ticks:
            ticks.pop(0)()
            slices += 1
        assert len(session.plotters) == 24
        assert slices > 1
        assert whole_walks == []
        # The document knows exactly the models a whole walk would find.
        assert {model.id for model in document.models} == reachable(document)


def cards_on_page(session: DashboardSession) -> int:
    return sum(len(row) for row in session.grid.rows.values())


def test_a_served_page_makes_its_sidebar_lists_after_the_browser_connected(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page's request makes what says how things stand; the alarm list, the
    # key browser and the layout buttons are made once it connected, showing
    # the process as it is then: each made in a turn and added in the next.
    with served_page(ingestion, monkeypatch, many_plots(2)) as page:
        session, document, ticks = page
        assert session.browser is None
        assert session.alarm_list is None
        assert len(session.sidebar) == 1  # the access warning, the pill, the status
        made_before_added = []
        listed_after_added = None
        while ticks:
            lists = (session.alarm_list, session.browser)
            parts, models = len(session.sidebar), len(document.models)
            browser_added = session.browser is not None and any(
                part is session.browser.view for part in session.sidebar
            )
            ticks.pop(0)()
            browser = session.browser
            if listed_after_added is None and browser is not None and browser.listed:
                # Its keys are listed in a turn after it joined the page.
                listed_after_added = browser_added
            if len(session.sidebar) == parts + 1 and parts < 3:
                made_before_added.append(lists[parts - 1] is not None)
            elif len(session.sidebar) == parts and len(session.plotters) == 0:
                assert len(document.models) == models  # made: not on the page
        assert made_before_added == [True, True]
        assert listed_after_added is True
        assert session.alarm_list is not None
        assert session.browser is not None
        assert session.sidebar[1] is session.alarm_list.view
        assert session.sidebar[2] is session.browser.view
        assert len(session.sidebar) == 7
        assert "none active" in session.alarm_list.list.text
        assert set(session.browser.details) == set(ingestion.data_service.catalog())
        assert {model.id for model in document.models} == reachable(document)


def test_a_served_page_makes_its_plots_and_places_them_in_turns_apart(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Making a plot and placing its card (its Panel models, the page's
    # message) each cost about half of it: one turn of the loop does one.
    with served_page(ingestion, monkeypatch, many_plots(12)) as page:
        session, document, ticks = page
        turns = []
        while ticks:
            made, placed = len(session.plotters), cards_on_page(session)
            models = len(document.models)
            ticks.pop(0)()
            turns.append(
                (len(session.plotters) - made, cards_on_page(session) - placed)
            )
            if turns[-1][0]:  # made: nothing joined the document yet
                assert len(document.models) == models
        assert all(made == 0 or placed == 0 for made, placed in turns)
        assert sum(made for made, _ in turns) == 12
        assert sum(placed for _, placed in turns) == 12
        assert {model.id for model in document.models} == reachable(document)


def test_a_plot_removed_before_its_card_was_placed_never_reaches_the_page(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served_page(ingestion, monkeypatch, many_plots(3)) as page:
        session, _document, ticks = page
        while ticks and not session.plotters:
            ticks.pop(0)()
        first = session.layout.plots[0]
        assert cards_on_page(session) == 0  # made, not placed
        session.remove_plot(first)
        run_ticks(ticks)
        assert first not in session.layout.plots
        assert cards_on_page(session) == 2
        assert len(session.plotters) == 2


def test_a_plot_adds_at_most_44_models_to_its_page(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each model costs the server its creation, sending and bookkeeping, and
    # the browser its copy: 69 a plot of this mix before decision 069, 55
    # before a card built its settings at their first opening (decision 086).
    with served_page(ingestion, monkeypatch, many_plots(24)) as page:
        session, document, ticks = page
        empty = len(reachable(document))
        run_ticks(ticks)
        assert len(session.plotters) == 24
        assert (len(reachable(document)) - empty) / 24 <= 44


def cards(session: DashboardSession, row: str) -> list[tuple[object, str]]:
    """The (key, view) of a row's cards, left to right."""
    return [card_says(card) for card in session.grid.rows[row].objects]


def test_a_changed_view_keeps_its_place_and_a_reload_shows_the_same_order(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    for name in "abc":
        ds[f"log/{name}"] = scalar_log(1.0)
    windows = tuple(PlotSpec(f"log/{name}", "window", frames=5) for name in "abc")
    latest = (PlotSpec("log/x", "latest"), PlotSpec("log/z", "latest"))
    ds["log/x"] = ds["log/z"] = scalar_log(2.0)
    session = DashboardSession(
        quiet_ingestion, DashboardOptions(), layout=Layout(windows + latest)
    )
    session.start()
    try:
        session.change_view(windows[1], "time_window")
        assert cards(session, "windows") == [
            ("log/a", "window"),
            ("log/b", "time_window"),
            ("log/c", "window"),
        ]
        # Into another row: there too in the layout's order (before log/x).
        (moved,) = [p for p in session.layout.plots if p.view == "time_window"]
        session.change_view(moved, "latest")
        assert cards(session, "values") == [
            ("log/b", "latest"),
            ("log/x", "latest"),
            ("log/z", "latest"),
        ]
        reloaded = DashboardSession(
            quiet_ingestion,
            DashboardOptions(),
            layout=parse_url_layout(session.layout_state.text),
        )
        for row in session.grid.rows:
            assert cards(reloaded, row) == cards(session, row)
    finally:
        session.close(None)


def test_the_automatic_layout_takes_keys_by_group_and_name_whatever_their_arrival(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    with ds.transaction():
        for i in reversed(range(60)):
            ds[f"log/{i:02d}"] = scalar_log(float(i))
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    shown = [f"log/{i:02d}" for i in range(MAX_AUTO_PLOTS // 2)]
    assert [key for key, _ in cards(session, "values")] == shown
    assert [key for key, _ in cards(session, "windows")] == shown
    assert f"{60 - len(shown)} more keys not shown" in session.hidden_keys.text


def test_a_key_arriving_later_takes_its_place_in_the_automatic_layout(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    ds["monitor/m"] = spectrum([1.0, 2.0])
    ds["log/c"] = scalar_log(1.0)
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    session.start()
    try:
        ds["log/a"] = scalar_log(2.0)
        ds["detector/d"] = image()
        session.draw_frame()
        assert [key for key, _ in cards(session, "values")] == ["log/a", "log/c"]
        assert [key for key, _ in cards(session, "latest")] == [
            "detector/d",
            "monitor/m",
        ]
        assert [key for key, _ in cards(session, "windows")] == [
            "log/a",
            "log/c",
            "monitor/m",
        ]
    finally:
        session.close(None)


def test_a_plot_added_beyond_the_bound_of_a_page_is_refused_and_said(
    quiet_ingestion: Ingestion,
) -> None:
    ds = quiet_ingestion.data_service
    ds["log/t"] = scalar_log(1.0)
    full = Layout(
        tuple(PlotSpec("log/t", "window", frames=n + 1) for n in range(MAX_PAGE))
    )
    session = DashboardSession(quiet_ingestion, DashboardOptions(), layout=full)
    session.add_plot("log/t", "latest")
    assert len(session.layout.plots) == MAX_PAGE
    assert f"at most {MAX_PAGE} plots" in session.message.text


def test_a_kept_reference_is_drawn_named_in_the_layout_and_dropped_again(
    quiet_ingestion: Ingestion, tmp_path
) -> None:
    ds = quiet_ingestion.data_service
    ds["monitor/m"] = spectrum([1.0, 2.0, 3.0])
    latest = PlotSpec("monitor/m", "latest")
    layout = Layout((latest,))
    options = DashboardOptions(state_dir=str(tmp_path))
    session = DashboardSession(quiet_ingestion, options, layout=layout)
    session.start()
    try:
        (line,) = session.plotters
        line.log_y = True
        session.keep_reference(latest)
        ds["monitor/m"] = spectrum([5.0, 5.0, 5.0], T0_NS + 10**9)
        session.draw_frame()

        (pinned,) = session.layout.plots
        assert pinned.reference is not None
        assert parse_url_layout(session.layout_state.text) == session.layout
        (line,) = session.plotters
        assert line.reference_source.data["y"].tolist() == [1.0, 2.0, 3.0]
        assert line.source.data["y"].tolist() == [5.0, 5.0, 5.0]
        assert line.log_y  # the operator's settings stay with the plot

        # Another page opened with this layout (a shared link) shows it too.
        other = DashboardSession(quiet_ingestion, options, layout=session.layout)
        (seen,) = other.plotters
        assert seen.reference_source.data["y"].tolist() == [1.0, 2.0, 3.0]
        other.close(None)

        session.drop_reference(pinned)
        assert session.layout.plots == (latest,)
        (line,) = session.plotters
        assert line.reference is None
    finally:
        session.close(None)


def test_a_layouts_reference_that_is_not_kept_is_said_and_the_data_shown(
    quiet_ingestion: Ingestion, tmp_path
) -> None:
    quiet_ingestion.data_service["monitor/m"] = spectrum([1.0, 2.0])
    spec = PlotSpec("monitor/m", "latest", reference="0" * 32)
    options = DashboardOptions(state_dir=str(tmp_path))
    session = DashboardSession(quiet_ingestion, options, layout=Layout((spec,)))
    session.start()
    try:
        (line,) = session.plotters
        assert line.source.data["y"].tolist() == [1.0, 2.0]
        assert f"reference {'0' * 32} is not kept (any more)" in line.header
        assert session.layout.plots == (spec,)  # kept: the layout asked for it
    finally:
        session.close(None)


def test_no_reference_is_kept_before_the_plot_shows_a_frame(
    quiet_ingestion: Ingestion, tmp_path
) -> None:
    quiet_ingestion.data_service["monitor/m"] = spectrum([1.0, 2.0])
    spec = PlotSpec("monitor/m", "latest")
    options = DashboardOptions(state_dir=str(tmp_path))
    session = DashboardSession(quiet_ingestion, options, layout=Layout((spec,)))
    try:
        session.keep_reference(spec)
        assert "monitor/m: no frame to keep as reference yet" in session.message.text
        assert session.layout.plots == (spec,)
    finally:
        session.close(None)


def test_the_pages_notes_take_no_line_while_they_say_nothing(
    quiet_ingestion: Ingestion,
) -> None:
    session = DashboardSession(quiet_ingestion, DashboardOptions())
    notes = (session.message, session.hidden_keys, session.frames_note)
    assert [note.visible for note in notes] == [False, False, False]
    session._show_hidden(3)
    assert session.hidden_keys.visible
    session._show_hidden(0)
    assert not session.hidden_keys.visible
    assert DashboardSession(
        quiet_ingestion, DashboardOptions(), message="layout file x: unreadable"
    ).message.visible
