"""What tells the operator to trust the page, in headless chromium: the stale
header and the status pill, fed from Kafka (librdkafka's mock cluster)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import confluent_kafka
import numpy as np
import pytest
import scipp as sc
from playwright.sync_api import Browser, expect

from app.page.status import FRAMES_SKIPPED, PILL_COLOURS
from app.sources import SimulatedInstrument
from app.sources.codec import DecodeError, Decoder
from app.sources.message import Message
from app.sources.produce import DATA_TOPIC, LOG_TOPIC, publish
from app.sources.simulated import LOG_UNITS
from app.testing.local_server import LocalServer, serve_dashboard
from app.testing.mock_cluster import MockKafkaCluster
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = [pytest.mark.browser, pytest.mark.kafka]

KEY = "monitor/m1"
"""A da00 result, published periodically: quiet means stale."""
LOG_KEY = "log/sample_temperature"
"""An f144 log, published on change: quiet is not stale (decision 076)."""
GARBAGE = b"not a flatbuffer at all"
VIEWPORT = {"width": 1400, "height": 1200}
LOSSES_REMEMBERED_S = 10
"""How long the test server's pill remembers a loss, the shortest allowed: the
default 30 s would keep each test waiting for the previous one's losses to
pass."""
LOSSES_FORGOTTEN_MS = 60_000
"""Far longer than the pill remembers a loss, for waits that outlast it."""

# The window plot's header is its figure's title, drawn on the canvas.
# A card's header: the Div named "header:..." above its figure.
HEADER_JS = (
    "(doc, key) => Array.from(doc._all_models.values()).find(m => m.name"
    " && m.name.startsWith('header:') && m.text.startsWith(key + ' ['))"
)


class Publisher:
    """The simulated instrument's monitor and temperature at 10 Hz while on."""

    def __init__(self, cluster: MockKafkaCluster) -> None:
        self.producer = confluent_kafka.Producer(
            {"bootstrap.servers": cluster.bootstrap_servers}
        )
        self._instrument = SimulatedInstrument(
            seed=3, rate_hz=10.0, streams=[KEY, LOG_KEY]
        )
        self._on = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-publisher")
        self._on.set()
        self._thread.start()

    def pause(self) -> None:
        self._on.clear()

    def resume(self) -> None:
        self._on.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.producer.flush(5)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            messages = self._instrument.get_messages()
            if self._on.is_set():
                publish(self.producer, messages)
            self.producer.poll(0)


@pytest.fixture(scope="module")
def cluster() -> Iterator[MockKafkaCluster]:
    with MockKafkaCluster().create_topics(DATA_TOPIC, LOG_TOPIC) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def publisher(cluster: MockKafkaCluster) -> Iterator[Publisher]:
    publisher = Publisher(cluster)
    yield publisher
    publisher.close()


@pytest.fixture(scope="module")
def server(cluster: MockKafkaCluster, publisher: Publisher) -> Iterator[LocalServer]:
    with serve_dashboard(
        [
            "--source",
            "kafka",
            "--bootstrap-servers",
            cluster.bootstrap_servers,
            "--keys",
            f"{KEY},{LOG_KEY}",
            # The default period: at 0.1 s a browser on a busy machine skips
            # more than the pill tolerates, and these tests are not about that.
            "--frame-period",
            "0.2",
            "--log-units",
            f"{LOG_KEY}={LOG_UNITS[LOG_KEY]}",
            "--losses-remembered",
            str(LOSSES_REMEMBERED_S),
        ]
    ) as server:
        yield server


@pytest.fixture(scope="module")
def dashboard(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab for the module's tests: each starts once its pill says live, and
    opening a tab per test would cost the suite seconds each."""
    context = chromium.new_context(viewport=VIEWPORT)
    yield DashboardPage(context.new_page()).open(server.url)
    context.close()


def wait_for_pill(dashboard: DashboardPage, state: str, timeout_ms: float) -> str:
    """Wait until the pill reads `state`; return its reason (its hover text)."""
    pill = dashboard.page.locator(".pill")
    dashboard.page.wait_for_function(
        "(state) => Bokeh.documents[0].get_model_by_name('status-pill').text"
        ".includes(`>${state}</span>`)",
        arg=state.upper(),
        timeout=timeout_ms,
        polling=100,
    )
    pill.filter(has_text=state.upper()).wait_for(timeout=timeout_ms)
    return pill.locator("xpath=..").get_attribute("title")


def pill_colour(dashboard: DashboardPage) -> str:
    return dashboard.page.locator(".pill").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def header(dashboard: DashboardPage) -> dict:
    return dashboard.evaluate(
        f"(doc, key) => {{ const t = ({HEADER_JS})(doc, key); return {{"
        " text: t.text, background: t.styles['background-color'] }; }",
        KEY,
    )


def test_a_plot_whose_key_stops_turns_stale_and_the_pill_amber_until_data_returns(
    publisher: Publisher, dashboard: DashboardPage
) -> None:
    dashboard.wait_for(HEADER_JS, KEY)
    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)
    assert pill_colour(dashboard) == rgb(PILL_COLOURS["live"])
    assert "stale" not in header(dashboard)["text"]

    publisher.pause()
    try:
        dashboard.wait_for(
            f"(doc, key) => ({HEADER_JS})(doc, key).text.includes('· stale ·')",
            KEY,
        )
        assert header(dashboard)["background"] == "#ffe2a0"
        reason = wait_for_pill(dashboard, "degraded", 30_000)
    finally:
        publisher.resume()
    # The log went quiet too, but it publishes on change: not stale. A loaded
    # machine may add this browser's skipped frames to the reason.
    stale, *lost = reason.split("; ")
    assert stale == f"1 stale: {KEY}"
    skipped = rf"lost in the last {LOSSES_REMEMBERED_S} s: \d+ {FRAMES_SKIPPED}"
    assert all(re.fullmatch(skipped, part) for part in lost), reason
    assert pill_colour(dashboard) == rgb(PILL_COLOURS["degraded"])

    dashboard.wait_for(
        f"(doc, key) => !({HEADER_JS})(doc, key).text.includes('stale')", KEY
    )
    assert header(dashboard)["background"] == "transparent"
    wait_for_pill(dashboard, "live", 30_000)
    assert pill_colour(dashboard) == rgb(PILL_COLOURS["live"])


CLEARED_JS = (
    "(doc, key) => Array.from(doc._all_models.values()).some(m => m.name"
    " && m.name.startsWith('header:') && m.text.startsWith(key + ' ·')"
    " && m.text.includes('· no data · cleared ')"
    " && m.text.endsWith(' by an operator'))"
)


def test_a_clear_in_one_page_tells_every_page_who_cleared_the_key(
    server: LocalServer,
    publisher: Publisher,
    chromium: Browser,
    dashboard: DashboardPage,
) -> None:
    publisher.pause()
    other = chromium.new_context(viewport=VIEWPORT)
    try:
        # The second tab opens while what was in flight drains.
        here, there = dashboard, DashboardPage(other.new_page()).open(server.url)
        for page in (here, there):
            page.wait_for(HEADER_JS, KEY)
        # Nothing in flight any more: what is cleared stays cleared.
        there.wait_for(
            f"(doc, key) => ({HEADER_JS})(doc, key).text.includes('· stale ·')",
            KEY,
        )
        clear = open_settings(here.card("window", KEY)).locator(".clear button")
        clear.click()
        expect(clear).to_have_text("confirm clear?")
        clear.click()
        for page in (here, there):
            page.wait_for(CLEARED_JS, KEY)
    finally:
        publisher.resume()
        other.close()


def test_the_pill_is_red_while_the_broker_is_down_and_green_once_it_is_back(
    cluster: MockKafkaCluster, dashboard: DashboardPage
) -> None:
    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)

    cluster.set_broker_down()
    try:
        reason = wait_for_pill(dashboard, "down", 30_000)
    finally:
        cluster.set_broker_up()
    assert reason.startswith("source down: kafka ")
    assert reason.endswith("broker unreachable")
    assert pill_colour(dashboard) == rgb(PILL_COLOURS["down"])

    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)
    assert pill_colour(dashboard) == rgb(PILL_COLOURS["live"])


def test_an_undecodable_record_turns_the_pill_amber_naming_why_for_a_while(
    publisher: Publisher, dashboard: DashboardPage
) -> None:
    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)
    with pytest.raises(DecodeError) as refused:
        Decoder().decode(GARBAGE)

    publisher.producer.produce(DATA_TOPIC, GARBAGE, key=b"detector/panel_0")
    publisher.producer.flush(10)

    reason = wait_for_pill(dashboard, "degraded", 30_000)
    # A loaded machine may add this browser's skipped frames to the reason.
    assert reason.startswith(f"lost in the last {LOSSES_REMEMBERED_S} s: ")
    assert f"1 {refused.value.reason}" in reason
    assert pill_colour(dashboard) == rgb(PILL_COLOURS["degraded"])
    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)


def test_a_browser_slowed_until_it_skips_frames_turns_its_pill_amber_saying_so(
    dashboard: DashboardPage,
) -> None:
    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)
    with dashboard.too_busy_to_keep_up():
        reason = wait_for_pill(dashboard, "degraded", LOSSES_FORGOTTEN_MS)
    assert FRAMES_SKIPPED in reason
    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)


def test_a_record_stamped_in_the_future_turns_the_pill_amber_saying_so(
    publisher: Publisher, dashboard: DashboardPage
) -> None:
    wait_for_pill(dashboard, "live", LOSSES_FORGOTTEN_MS)
    year_2100_ns = int(np.datetime64("2100-01-01", "ns").astype(np.int64))
    value = sc.DataArray(sc.scalar(1.0, unit=LOG_UNITS[LOG_KEY]))

    publish(publisher.producer, [Message(LOG_KEY, value, year_2100_ns)])
    publisher.producer.flush(10)

    reason = wait_for_pill(dashboard, "degraded", 30_000)
    assert "1 stamped in the future" in reason
    assert pill_colour(dashboard) == rgb(PILL_COLOURS["degraded"])
