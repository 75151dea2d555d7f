"""A temperature drifts across its limit: the page turns red, tells, and recovers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import confluent_kafka
import pytest
import scipp as sc
from playwright.sync_api import Page, expect

from app.sources import Message
from app.sources.produce import DATA_TOPIC, LOG_TOPIC, publish
from app.sources.simulated import LOG_UNITS
from app.testing.local_server import serve_dashboard
from app.testing.mock_cluster import MockKafkaCluster
from tests.browser.dashboard_page import DashboardPage

pytestmark = [pytest.mark.browser, pytest.mark.kafka]

KEY = "log/sample_temperature"
RED = "#d62728"

# Every notification the page shows, kept where the test can read it.
CAPTURE_NOTIFICATIONS = """
window.__notifications = [];
const Real = window.Notification;
class Captured extends Real {
  constructor(title, options) {
    super(title, options);
    window.__notifications.push({title: title, body: (options || {}).body});
  }
}
Object.defineProperty(Captured, "permission", {get: () => Real.permission});
Captured.requestPermission = (...args) => Real.requestPermission(...args);
window.Notification = Captured;
"""

CARD_BORDERS = """(doc, key) => [...doc.all_models]
  .filter((m) => m.css_classes && m.css_classes.includes('plot-card'))
  .map((m) => { const s = m.styles; return (s instanceof Map ? s.get('border')
                : s && s.border) || ''; })"""

PILL = "(doc) => doc.get_model_by_name('status-pill').text"


class Temperature:
    """A temperature published to the mock cluster at 20 Hz, moved by the test."""

    def __init__(self, cluster: MockKafkaCluster) -> None:
        self.kelvin = 295.0
        self._producer = confluent_kafka.Producer(
            {"bootstrap.servers": cluster.bootstrap_servers}
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-temperature")

    def drift_to(self, kelvin: float, steps: int = 10) -> None:
        """Move in small steps, as a temperature does (one step per publish)."""
        self._target, self._steps = kelvin, steps

    def _run(self) -> None:
        self._target, self._steps = self.kelvin, 0
        while not self._stop.wait(0.05):
            if self._steps:
                self.kelvin += (self._target - self.kelvin) / self._steps
                self._steps -= 1
            value = sc.DataArray(sc.scalar(self.kelvin, unit=LOG_UNITS[KEY]))
            publish(self._producer, [Message(KEY, value, time.time_ns())])

    def __enter__(self) -> Temperature:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._producer.flush(5)


@pytest.fixture
def temperature() -> Iterator[Temperature]:
    with (
        MockKafkaCluster().create_topics(DATA_TOPIC, LOG_TOPIC) as cluster,
        Temperature(cluster) as temperature,
    ):
        temperature.cluster = cluster
        yield temperature


def test_a_temperature_across_its_limit_turns_the_page_red_notifies_and_recovers(
    temperature: Temperature, browser_page: Page, tmp_path: Path
) -> None:
    limits = tmp_path / "limits.jsonl"
    limits.write_text(json.dumps({"key": KEY, "warn_high": 300, "alarm_high": 305}))
    browser_page.context.grant_permissions(["notifications"])
    browser_page.add_init_script(CAPTURE_NOTIFICATIONS)
    with serve_dashboard(
        [
            "--source",
            "kafka",
            "--bootstrap-servers",
            temperature.cluster.bootstrap_servers,
            "--keys",
            KEY,
            "--frame-period",
            "0.1",
            "--log-units",
            f"{KEY}={LOG_UNITS[KEY]}",
            "--alarm-limits",
            str(limits),
        ]
    ) as server:
        dashboard = DashboardPage(browser_page).open(server.url)
        dashboard.wait_for_data(f"window:{KEY}", "value")
        assert "pill alarm" not in dashboard.evaluate(PILL)
        assert not any(dashboard.evaluate(CARD_BORDERS, KEY))

        temperature.drift_to(310.0)
        dashboard.wait_for(f"(doc) => ({PILL})(doc).includes('pill alarm')")
        pill = dashboard.evaluate(PILL)
        assert f"alarm: {KEY} " in pill
        assert "(alarm_high 305)" in pill
        borders = dashboard.wait_for(
            f"(doc, key) => {{ const b = ({CARD_BORDERS})(doc, key);"
            f" return b.length && b.every((x) => x.includes('{RED}')) && b; }}",
            KEY,
        )
        assert len(borders) == 2  # the value panel and the time series
        badge = dashboard.evaluate(
            "(doc, key) => doc.get_model_by_name('alarm-badge:latest:' + key).text", KEY
        )
        assert "ALARM" in badge
        assert "(alarm_high 305)" in badge
        notices = browser_page.wait_for_function(
            "() => window.__notifications.length > 0 && window.__notifications",
            polling=50,
        ).json_value()
        assert notices[0]["title"] == "Dashboard alarm"
        assert notices[0]["body"].startswith(f"ALARM {KEY} ")

        # The card's own controls, in its header's line: the limits' editor
        # opens under it, and its acknowledge acknowledges the key.
        series_card = dashboard.card("window", KEY)
        series_card.locator(".alarm-limits-toggle button").click()
        expect(series_card.locator(".alarm-limit-alarm_high input")).to_be_visible()
        series_card.locator(".alarm-acknowledge button").click()
        dashboard.wait_for(
            "(doc) => doc.get_model_by_name('alarm-list').text.includes('acknowledged')"
        )

        temperature.drift_to(295.0)
        # Not red; on a loaded machine the pill may be amber for lost frames.
        dashboard.wait_for(f"(doc) => !({PILL})(doc).includes('pill alarm')")
        dashboard.wait_for(
            f"(doc, key) => ({CARD_BORDERS})(doc, key).every((x) => !x)", KEY
        )
        log = server.state_dir / "alarms.jsonl"
        moves = [
            (entry["from"], entry["to"])
            for entry in map(json.loads, log.read_text().splitlines())
        ]
        assert moves[0] == ("ok", "warn")
        assert ("warn", "alarm") in moves
        assert moves[-1][1] == "ok"
        audit = (server.state_dir / "audit.jsonl").read_text()
        assert '"action": "acknowledge alarm"' in audit
