"""Text from outside shown literally in headless chromium: a layout link, a
layout file, the page's title and keys from Kafka that hold markup whose
handlers would set ``window.__pwned``; and layouts too long for a link."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import confluent_kafka
import pytest
import scipp as sc
from playwright.sync_api import Browser, Page, expect

from app.limits import MAX_LAYOUT_URL_CHARS
from app.page.layout_file import Layout
from app.plot_spec import PlotSpec
from app.sources import Message
from app.sources.produce import DATA_TOPIC, LOG_TOPIC, publish
from app.testing.local_server import LocalServer, serve_dashboard
from app.testing.many_plots import too_long_for_a_link
from app.testing.mock_cluster import MockKafkaCluster
from tests.browser.dashboard_page import DashboardPage

pytestmark = [pytest.mark.browser, pytest.mark.kafka]

PWNED = "window.__pwned=1"
IMG = f'<img src=x onerror="{PWNED}">'
SVG = f'"><svg onload="{PWNED}">'
SCRIPT = f"<script>{PWNED}</script>"
AMPERSAND = "a&b 'single' \"double\" &amp;"
KAFKA_KEY = f"log/{IMG}"
"""A key as a Kafka source name may spell it."""


def url_form(document: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def never_pwned(page: Page) -> None:
    assert page.evaluate("() => window.__pwned") is None


def shown(page: Page, text: str) -> None:
    """`text` is on the page as text (Playwright's text search pierces shadow DOM)."""
    expect(page.get_by_text(text, exact=False).first).to_be_visible()


@pytest.fixture(scope="module")
def cluster() -> Iterator[MockKafkaCluster]:
    with MockKafkaCluster().create_topics(DATA_TOPIC, LOG_TOPIC) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def publishing(cluster: MockKafkaCluster) -> Iterator[None]:
    """A log whose source name holds markup, published at 10 Hz meanwhile."""
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": cluster.bootstrap_servers}
    )
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(0.1):
            now_ns = time.time_ns()
            value = sc.DataArray(
                sc.scalar(1.0), coords={"time": sc.datetime(now_ns, unit="ns")}
            )
            publish(producer, [Message(KAFKA_KEY, value, now_ns)])

    thread = threading.Thread(target=run, name="test-markup-publisher")
    thread.start()
    yield
    stop.set()
    thread.join()
    producer.flush(5)


@pytest.fixture(scope="module")
def layout_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A layout file named with markup whose plot names markup in key and view."""
    path = tmp_path_factory.mktemp("layouts") / f"{SVG}.json"
    plots = [{"key": SCRIPT, "view": AMPERSAND}]
    path.write_text(json.dumps({"version": 1, "plots": plots}))
    return path


@pytest.fixture(scope="module")
def server(
    cluster: MockKafkaCluster, publishing: None, layout_file: Path
) -> Iterator[LocalServer]:
    args = ["--source", "kafka", "--bootstrap-servers", cluster.bootstrap_servers]
    args += ["--frame-period", "0.1", "--layout", str(layout_file), "--title", IMG]
    with serve_dashboard(args) as server:
        yield server


@pytest.fixture(scope="module")
def plain(server: LocalServer, chromium: Browser) -> Iterator[DashboardPage]:
    """One tab on the plain address for the tests that read the page the
    server's own layout gives (the one that stores a layout in it comes last):
    a tab each would cost seconds each."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    yield DashboardPage(context.new_page()).open(server.url)
    context.close()


def test_a_layout_link_with_markup_is_said_literally_and_runs_nothing(
    server: LocalServer, browser_page: Page
) -> None:
    link = url_form({"version": 1, "plots": [{"key": IMG, "view": SVG}]})
    dashboard = DashboardPage(browser_page).open(f"{server.url}?layout={link}")
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('layout-message').text.includes('unknown')"
    )
    shown(browser_page, f"unknown view {SVG!r}")
    shown(browser_page, repr(IMG))
    never_pwned(browser_page)


def test_a_layout_file_with_markup_is_said_literally_and_runs_nothing(
    layout_file: Path, plain: DashboardPage
) -> None:
    shown(plain.page, f"layout file {layout_file}")
    shown(plain.page, repr(SCRIPT))
    shown(plain.page, repr(AMPERSAND))
    never_pwned(plain.page)


def test_a_key_and_a_title_with_markup_are_shown_literally_and_run_nothing(
    plain: DashboardPage,
) -> None:
    page = plain.page
    plain.wait_for_data(f"value:{KAFKA_KEY}", "text")
    # The key browser's row and the plot cards' labels; the header's title.
    expect(page.locator(".key-add button", has_text=KAFKA_KEY)).to_be_visible()
    # The row's hint is an attribute's value, given as text.
    expect(page.locator(".key-add", has_text=KAFKA_KEY)).to_have_attribute(
        "title", f"add a plot of {KAFKA_KEY}"
    )
    expect(page.locator(".plot-key", has_text=KAFKA_KEY).first).to_be_visible()
    shown(page, "log/")
    assert page.title() == IMG
    expect(page.locator("#header #page-title", has_text=IMG)).to_be_visible()
    never_pwned(page)


def long_layout() -> Layout:
    return too_long_for_a_link(PlotSpec(KAFKA_KEY, "time_window", seconds=60.0))


def test_a_layout_link_longer_than_the_limit_is_refused_naming_the_limit(
    server: LocalServer, browser_page: Page
) -> None:
    link = long_layout().to_url()
    dashboard = DashboardPage(browser_page).open(f"{server.url}?layout={link}")
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('layout-message').text.includes('8,000')"
    )
    shown(browser_page, f"layout link is {len(link):,} characters long")
    shown(browser_page, f"longer than the {MAX_LAYOUT_URL_CHARS:,} a link may carry")


def test_a_layout_too_long_for_a_link_stays_in_this_browser_and_comes_back(
    server: LocalServer, plain: DashboardPage
) -> None:
    layout = long_layout()
    page = plain.page
    page.evaluate(
        "(text) => localStorage.setItem('dashboard-layout', text)", layout.to_url()
    )
    # A reload of the plain address hands the stored layout to the session.
    dashboard = plain.open(server.url)
    dashboard.wait_for(
        "(doc) => doc.get_model_by_name('layout-message').text.includes('too long')"
    )
    shown(page, "this layout is too long to share by link")
    shown(page, "use Download layout to share it")
    dashboard.wait_for_data(f"time-window:{KAFKA_KEY}", "value")
    assert "layout=" not in page.url
    stored = page.evaluate("localStorage.getItem('dashboard-layout')")
    assert stored == layout.to_url()
