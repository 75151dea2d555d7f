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
from app.testing.local_server import serve_dashboard
from app.testing.mock_cluster import MockKafkaCluster
from tests.browser.dashboard_page import DashboardPage

pytestmark = [pytest.mark.browser, pytest.mark.kafka]


@pytest.fixture
def cluster() -> Iterator[MockKafkaCluster]:
    with MockKafkaCluster() as cluster:
        for topic in (DATA_TOPIC, LOG_TOPIC):
            cluster.create_topic(topic, partitions=1)
        yield cluster


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


@pytest.mark.usefixtures("instrument_publishing")
def test_dashboard_shows_data_arriving_from_kafka(
    cluster: MockKafkaCluster, browser_page: Page
) -> None:
    with serve_dashboard(
        [
            "--source",
            "kafka",
            "--bootstrap-servers",
            cluster.bootstrap_servers,
            "--frame-period",
            "0.1",
            "--log-units",
            ",".join(f"{key}={unit}" for key, unit in LOG_UNITS.items()),
        ]
    ) as server:
        dashboard = DashboardPage(browser_page).open(server.url)
        dashboard.wait_for_data("image:detector/panel_0", "image")
        dashboard.wait_for_data("window:log/sample_temperature", "value")
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


def test_a_page_opened_after_the_look_back_shows_the_window_it_read(
    cluster: MockKafkaCluster, browser_page: Page
) -> None:
    # 40 temperatures of the last minute, all written before the server starts.
    key = "log/sample_temperature"
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": cluster.bootstrap_servers}
    )
    now_ns = time.time_ns()
    messages = [
        Message(
            key,
            sc.DataArray(sc.scalar(290.0 + i, unit=LOG_UNITS[key])),
            now_ns - (40 - i) * 1_000_000_000,
        )
        for i in range(40)
    ]
    publish(producer, messages)
    producer.flush(10)
    with serve_dashboard(
        [
            "--source",
            "kafka",
            "--bootstrap-servers",
            cluster.bootstrap_servers,
            "--keys",
            key,
            "--window-size",
            "30",
            "--log-units",
            f"{key}={LOG_UNITS[key]}",
        ]
    ) as server:
        # The look-back was read before any page: the process kept what its
        # default window shows, so the first page has it all.
        dashboard = DashboardPage(browser_page).open(server.url)
        dashboard.wait_for_rows(f"window:{key}", "value", 30)
        assert dashboard.column(f"window:{key}", "value")[-1] == 329.0
