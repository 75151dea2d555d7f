import time
from pathlib import Path

import pytest

from app.data import TimeWindowExtractor, WindowExtractor
from app.ingestion.process import (
    Ingestion,
    default_history,
    make_recorder,
    make_source,
    process_ingestion,
    stop_process_ingestion,
)
from app.options import DashboardOptions
from app.page.layout_file import Layout
from app.plot_spec import DEFAULT_WINDOW_SECONDS, TIME_WINDOW, PlotSpec
from app.recording.reader import read_records
from app.sources.simulated import (
    ALL_STREAMS,
    MONITOR_1,
    SAMPLE_TEMPERATURE,
    SimulatedInstrument,
)
from tests.data.test_service import Recorder
from tests.waiting import poll_until


@pytest.fixture
def stopped_afterwards():
    yield
    stop_process_ingestion()


@pytest.mark.usefixtures("stopped_afterwards")
def test_one_ingestion_per_process_whatever_the_number_of_sessions() -> None:
    first = process_ingestion(DashboardOptions(simulated_rate_hz=20.0))
    again = process_ingestion(DashboardOptions(simulated_rate_hz=1.0))
    assert again is first
    assert first.orchestrator.running
    assert first.source.status.description == "simulated instrument, 20.0 Hz"


@pytest.mark.usefixtures("stopped_afterwards")
def test_simulated_source_emits_only_the_keys_to_plot() -> None:
    ingestion = process_ingestion(DashboardOptions(keys=("log/motor_x", "other")))
    assert ingestion.source.keys == ("log/motor_x",)


def test_stopping_lets_the_next_call_start_a_new_ingestion() -> None:
    first = process_ingestion(DashboardOptions())
    stop_process_ingestion()
    assert not first.orchestrator.running
    second = process_ingestion(DashboardOptions())
    stop_process_ingestion()
    assert second is not first


class ManualClock:
    def __init__(self) -> None:
        self.now_ns = time.time_ns()

    def __call__(self) -> int:
        return self.now_ns


def test_a_window_subscribed_after_ingestion_ran_shows_what_arrived_before() -> None:
    options = DashboardOptions(window_size=20)
    clock = ManualClock()
    source = SimulatedInstrument(
        rate_hz=10.0, streams=[MONITOR_1, SAMPLE_TEMPERATURE], clock=clock
    )
    ingestion = Ingestion(source, ingest_period_s=1.0, history=default_history(options))
    clock.now_ns += 3 * 1_000_000_000  # 30 ticks before any session
    while ingestion.orchestrator.update():
        pass
    assert ingestion.orchestrator.stats.applied == 2 * 31
    windows = {
        MONITOR_1: WindowExtractor(options.window_size),
        SAMPLE_TEMPERATURE: WindowExtractor(options.window_size),
    }
    page = Recorder(windows)
    ingestion.data_service.register_subscriber(page, replay=True)
    assert page.stores[-1][MONITOR_1].sizes["time"] == 20
    assert page.stores[-1][SAMPLE_TEMPERATURE].sizes["time"] == 20
    # A time window (5 minutes by default) opened late shows the frames kept.
    log = Recorder({SAMPLE_TEMPERATURE: TimeWindowExtractor(DEFAULT_WINDOW_SECONDS)})
    ingestion.data_service.register_subscriber(log, replay=True)
    assert log.stores[-1][SAMPLE_TEMPERATURE].sizes["time"] == 20


@pytest.mark.usefixtures("stopped_afterwards")
def test_a_time_window_of_the_layout_file_keeps_its_frames_before_it_is_watched() -> (
    None
):
    # What a restart restores before any page opens fills the layout's plots.
    options = DashboardOptions(window_size=20)
    layout = Layout((PlotSpec(SAMPLE_TEMPERATURE, TIME_WINDOW, seconds=10),))
    clock = ManualClock()
    source = SimulatedInstrument(
        rate_hz=10.0, streams=[SAMPLE_TEMPERATURE], clock=clock
    )
    ingestion = Ingestion(
        source, ingest_period_s=1.0, history=default_history(options, layout.history())
    )
    for _ in range(30):  # 300 ticks before any session
        clock.now_ns += 1_000_000_000
        while ingestion.orchestrator.update():
            pass
    log = Recorder({SAMPLE_TEMPERATURE: TimeWindowExtractor(10)})
    ingestion.data_service.register_subscriber(log, replay=True)
    assert log.stores[-1][SAMPLE_TEMPERATURE].sizes["time"] == 101  # 10 s at 10 Hz


def test_a_recording_dashboard_records_what_it_applies_and_says_so(
    tmp_path: Path,
) -> None:
    options = DashboardOptions(record_dir=str(tmp_path), simulated_rate_hz=50.0)
    recorder = make_recorder(options)
    assert recorder is not None
    ingestion = Ingestion(
        make_source(options, recorder), ingest_period_s=0.01, recorder=recorder
    )
    ingestion.start()
    try:
        poll_until(lambda: ingestion.orchestrator.stats.applied >= 12)
        assert f"recording to {tmp_path}" in ingestion.snapshot().source.description
    finally:
        ingestion.stop()

    recorded = list(read_records(tmp_path))
    assert len(recorded) >= ingestion.orchestrator.stats.applied
    assert {r.key.decode() for r in recorded} == set(ALL_STREAMS)
