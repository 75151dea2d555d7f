import pytest

from app.ingestion import process_ingestion, stop_process_ingestion
from app.options import DashboardOptions


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
