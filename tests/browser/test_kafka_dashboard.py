"""The served dashboard fed from Kafka (librdkafka's mock cluster on loopback)."""

import threading
import time
from collections.abc import Iterator

import confluent_kafka
import pytest
import scipp as sc
from playwright.sync_api import Page

from app.sources import Message, SimulatedInstrument
from app.sources.produce import DATA_TOPIC, LOG_TOPIC, publish
from app.sources.simulated import LOG_UNITS
from app.testing.local_server import LocalServer, serve_dashboard
from app.testing.mock_cluster import MockKafkaCluster
from tests.browser.dashboard_page import DashboardPage

pytestmark = [pytest.mark.browser, pytest.mark.kafka]


KEY = "log/sample_temperature"


@pytest.fixture(scope="module")
def cluster() -> Iterator[MockKafkaCluster]:
    """A cluster holding 40 temperatures of the last minute."""
    with MockKafkaCluster().create_topics(DATA_TOPIC, LOG_TOPIC) as cluster:
        producer = confluent_kafka.Producer(
            {"bootstrap.servers": cluster.bootstrap_servers}
        )
        now_ns = time.time_ns()
        messages = [
            Message(
                KEY,
                sc.DataArray(sc.scalar(290.0 + i, unit=LOG_UNITS[KEY])),
                now_ns - (40 - i) * 1_000_000_000,
            )
            for i in range(40)
        ]
        publish(producer, messages)
        producer.flush(10)
        yield cluster


@pytest.fixture(scope="module")
def server(cluster: MockKafkaCluster) -> Iterator[LocalServer]:
    """One server for the module, started once the temperatures are written: a
    server each would cost seconds each."""
    with serve_dashboard(
        [
            *("--source", "kafka", "--bootstrap-servers", cluster.bootstrap_servers),
            *("--frame-period", "0.1", "--window-size", "30"),
            "--log-units",
            ",".join(f"{key}={unit}" for key, unit in LOG_UNITS.items()),
            # The instrument publishes every stream; the page shows the two the
            # tests read, not the default layout's every plot.
            *("--keys", f"detector/panel_0,{KEY}"),
        ]
    ) as server:
        yield server


@pytest.fixture
def instrument_publishing(cluster: MockKafkaCluster) -> Iterator[None]:
    """The simulated instrument publishing to the cluster at 10 Hz meanwhile."""
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": cluster.bootstrap_servers}
    )
    instrument = SimulatedInstrument(seed=2, rate_hz=10.0)
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(0.05):
            publish(producer, instrument.get_messages())

    thread = threading.Thread(target=run, name="test-producer")
    thread.start()
    yield
    stop.set()
    thread.join()
    producer.flush(5)


def test_a_page_opened_after_the_look_back_shows_the_window_it_read(
    server: LocalServer, browser_page: Page
) -> None:
    # The look-back was read before any page: the process kept what its
    # default window shows, so the first page has it all. Before the
    # instrument publishes: the window holds the cluster's 40 temperatures.
    dashboard = DashboardPage(browser_page).open(server.url)
    dashboard.wait_for_rows(f"window:{KEY}", "value", 30)
    assert dashboard.column(f"window:{KEY}", "value")[-1] == 329.0


@pytest.mark.usefixtures("instrument_publishing")
def test_dashboard_shows_data_arriving_from_kafka(
    server: LocalServer, browser_page: Page
) -> None:
    dashboard = DashboardPage(browser_page).open(server.url)
    dashboard.wait_for_data("image:detector/panel_0", "image")
    # Temperatures the instrument publishes, after those the window holds.
    dashboard.wait_for_data(f"window:{KEY}", "time")
    newest = max(dashboard.column(f"window:{KEY}", "time"))
    dashboard.wait_for(
        "(doc, [name, t]) => doc.get_model_by_name(name).data.time.some("
        "(time) => time > t)",
        [f"window:{KEY}", newest],
    )
    # The status line is refreshed once a second: wait for a measured rate.
    dashboard.wait_for(
        "(doc) => /[0-9] msg\\/s /.test(doc.get_model_by_name('status').text)"
    )
    status = dashboard.status()
    assert "kafka" in status
    assert "(connected)" in status
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('value:log/sample_temperature')"
        ".data.text[1].endsWith(' K')"
    )
