"""What plots show in headless chromium: bins where their edges are, headers
and settings readable on the dark theme."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import confluent_kafka
import numpy as np
import pytest
import scipp as sc
from playwright.sync_api import Browser, Page

from app.sources.message import Message
from app.sources.produce import DATA_TOPIC, LOG_TOPIC, publish
from app.testing.local_server import serve_dashboard
from app.testing.mock_cluster import MockKafkaCluster
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = pytest.mark.browser

HEADER = "header:image:detector/panel_0"
# An element's text colour and the first background behind it that is not
# see-through, up through the shadow roots Panel draws into.
BEHIND_JS = """(element) => {
  const text = getComputedStyle(element).color;
  for (let n = element; n; n = n.parentNode || n.host) {
    if (!(n instanceof Element)) continue;
    const colour = getComputedStyle(n).backgroundColor;
    if (colour && colour !== "transparent" && colour !== "rgba(0, 0, 0, 0)") {
      return [text, colour];
    }
  }
  return [text, getComputedStyle(document.body).backgroundColor];
}"""


def luminance(colour: str) -> float:
    """Relative luminance (WCAG) of ``#rrggbb`` or ``rgb(r, g, b)``."""
    if colour.startswith("#"):
        channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    else:
        channels = [int(c) for c in re.findall(r"\d+", colour)[:3]]
    linear = [
        c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4
        for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_plot_headers_contrast_with_the_dark_themes_background(
    browser_page: Page,
) -> None:
    with serve_dashboard(
        ["--frame-period", "0.1", "--simulated-rate", "5", "--keys", "detector/panel_0"]
    ) as server:
        dashboard = DashboardPage(browser_page).open(f"{server.url}?theme=dark")
        dashboard.wait_for(
            "(doc, name) => { const h = doc.get_model_by_name(name);"
            " return h && h.text.includes('age'); }",
            HEADER,
        )
        card = dashboard.card("image", "detector/panel_0")
        text, behind = card.locator(".plot-key").evaluate(BEHIND_JS)
        page = browser_page.evaluate("getComputedStyle(document.body).backgroundColor")
        # The settings lie over the plot on a background of the theme's.
        label = open_settings(card).get_by_text("log color")
        label_text, label_behind = label.evaluate(BEHIND_JS)
    # The header's text lies on its card, itself on the dark page.
    assert luminance(page) < 0.05  # the page did turn dark
    assert contrast(text, page) >= 4.5
    assert contrast(text, behind) >= 4.5
    assert contrast(label_text, label_behind) >= 4.5


def geometric_image() -> sc.DataArray:
    """8 x 16 bins, tof edges from 10 to 100,000 us by a constant factor."""
    values = np.ones((8, 16))
    values[2, 12] = 1000.0
    return sc.DataArray(
        sc.array(dims=["y", "tof"], values=values, unit="counts"),
        coords={
            "tof": sc.array(dims=["tof"], values=np.geomspace(10, 1e5, 17), unit="us"),
            "y": sc.linspace("y", 0.0, 8.0, 9, unit="mm"),
        },
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[MockKafkaCluster]:
    with MockKafkaCluster().create_topics(DATA_TOPIC, LOG_TOPIC) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def producer(cluster: MockKafkaCluster) -> Iterator[confluent_kafka.Producer]:
    """A producer on the cluster that first writes the geometric image."""
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": cluster.bootstrap_servers}
    )
    # Stamped now: the dashboard's look-back on start reaches recent records.
    now_ns = time.time_ns()
    frame = geometric_image()
    frame.coords["time"] = sc.datetime(now_ns, unit="ns")
    publish(producer, [Message(key="detector/tof", value=frame, timestamp=now_ns)])
    producer.flush(10)
    yield producer
    producer.flush(5)


@pytest.fixture(scope="module")
def kafka_page(
    cluster: MockKafkaCluster, producer: confluent_kafka.Producer, chromium: Browser
) -> Iterator[DashboardPage]:
    """One server, started once the geometric image is written, and one tab
    for the module's Kafka tests: a server and a tab each cost seconds each."""
    with serve_dashboard(
        [
            *("--source", "kafka", "--bootstrap-servers", cluster.bootstrap_servers),
            *("--frame-period", "0.1", "--window-size", "150"),
        ]
    ) as server:
        context = chromium.new_context(viewport={"width": 1400, "height": 1200})
        try:
            yield DashboardPage(context.new_page()).open(server.url)
        finally:
            context.close()


def test_a_bright_bin_of_geometric_edges_is_drawn_at_its_true_coordinates(
    kafka_page: DashboardPage,
) -> None:
    dashboard = kafka_page
    dashboard.wait_for_data("strip-images:detector/tof", "image")
    # The strips BokehJS draws: the one holding the bright bin, and where.
    left, width, row = dashboard.evaluate(
        "(doc) => { const d = doc.get_model_by_name("
        "'strip-images:detector/tof').data;"
        " const peaks = d.image.map((s) => Math.max(...s));"
        " const i = peaks.indexOf(Math.max(...peaks));"
        " return [d.x[i], d.dw[i], Array.from(d.image[i]).indexOf(peaks[i])]; }"
    )
    edges = np.geomspace(10, 1e5, 17)
    assert (left, left + width) == pytest.approx((edges[12], edges[13]))
    assert row == 2  # of rows 0 to 8 mm, 1 mm each: 2 to 3 mm


# The x axis's own ticker and formatter, run on the figure's range: each label's
# width (measured on a canvas in the axis's font) against the room between ticks.
TIME_LABELS_JS = """
(doc, name) => {
  const f = doc.get_model_by_name(name);
  const axis = f.below[0];
  const start = f.x_range.start, end = f.x_range.end;
  const ticks = axis.ticker.get_ticks(start, end, f.x_range, NaN).major;
  const labels = axis.formatter.doFormat(ticks, {loc: 0});
  const ctx = document.createElement("canvas").getContext("2d");
  const size = String(axis.major_label_text_font_size);
  const px = size.endsWith("em") ? 16 * parseFloat(size) : parseFloat(size);
  ctx.font = px + "px " + axis.major_label_text_font;
  const widths = labels.map((l) => ctx.measureText(l).width);
  const scale = f.inner_width / (end - start);
  const at = ticks.map((t) => (t - start) * scale);
  return {labels, widths, at, span_s: (end - start) / 1000};
}
"""


def test_time_labels_of_a_five_minute_window_do_not_overlap(
    producer: confluent_kafka.Producer, kafka_page: DashboardPage
) -> None:
    dashboard = kafka_page
    # A log every 2 s over 200 s of a five-minute window: the first makes its
    # plots, which then keep what follows.
    now_ns = time.time_ns()
    logs = [
        Message(
            key="log/motor_x",
            value=sc.DataArray(
                sc.scalar(float(i)), coords={"time": sc.datetime(t, unit="ns")}
            ),
            timestamp=t,
        )
        for i, t in enumerate(now_ns - (100 - i) * 2 * 10**9 for i in range(100))
    ]
    publish(producer, logs[:1])
    producer.flush(10)
    dashboard.wait_for_rows("window:log/motor_x", "time", 1)
    publish(producer, logs[1:])
    producer.flush(10)
    dashboard.wait_for_rows("window:log/motor_x", "time", 100)
    dashboard.wait_for(
        "(doc) => { const f = doc.get_model_by_name('figure:window:log/motor_x');"
        " return f.inner_width > 0 && f.x_range.end - f.x_range.start > 1.9e5; }"
    )
    shown = dashboard.evaluate(TIME_LABELS_JS, "figure:window:log/motor_x")
    assert shown["span_s"] > 190
    assert len(shown["labels"]) >= 2
    gaps = [b - a for a, b in zip(shown["at"], shown["at"][1:], strict=False)]
    # Two neighbours overlap when the room between their centres is less
    # than half of each label's width, plus a little air.
    for i, gap in enumerate(gaps):
        needed = (shown["widths"][i] + shown["widths"][i + 1]) / 2 + 8
        assert gap >= needed, (shown["labels"], shown["widths"], gaps)
