"""Benchmark: end-to-end latency, a record produced to Kafka to its value in the
browser's Bokeh document, before and after the live fetch settings and the
ingestion woken by arrivals (decision 037).

Set-up: librdkafka's mock cluster in this process; ``panel serve`` of the
dashboard with ``--source kafka`` in its own process; headless chromium; a
probe log (f144 ``log/probe``) produced at 10 Hz on average, at random phases.
Quiet: the probe alone. Loaded: beside a facility-like load, 4 images of
128x128 and 4 spectra of 1,000 bins at 14 Hz, and 100 logs at 1 Hz; the
probe's card, added below a screen of plots, is scrolled into view (out of
view a plot is drawn once a second, decision 061).

Per record it prints, as medians and 95th percentiles:
- end to end: produce -> the value in the browser's document;
- the Kafka hop: produce -> a plain consumer beside the dashboard, with the
  fetch settings of the checkout under test, has it;
- the dashboard's share: the median end to end minus the median Kafka hop
  (the plain consumer fetches at its own phase, so a record's hop there is
  not its hop in the dashboard: only the distributions compare).

"before" serves the commit given as the first argument (by default `BEFORE`,
the code before decision 037) from a temporary ``git worktree``; "after" this
checkout.
"""

from __future__ import annotations

import re
import statistics
import sys
import threading
import time
from pathlib import Path

import confluent_kafka
import numpy as np
import scipp as sc
from playwright.sync_api import Browser, Page, sync_playwright
from worktree import checkout

from app.sources.codec import encode_da00, encode_f144
from app.sources.kafka import FETCH_WAIT_MAX_MS
from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import REPO, serve_dashboard
from app.testing.mock_cluster import MockKafkaCluster

DATA_TOPIC, LOG_TOPIC = "livedata_data", "livedata_logs"
PROBE = "log/probe"
PROBES = 150
RATE_HZ = 10.0
LOAD_HZ = 14.0
IMAGES = [f"detector/panel_{i}" for i in range(4)]
SPECTRA = [f"monitor/m{i}" for i in range(4)]
LOGS = [f"log/motor_{i}" for i in range(100)]
DEFAULT_FETCH_WAIT_MS = 500
"""librdkafka's ``fetch.wait.max.ms``, the one of code before decision 037."""
FAST_FRAMES = ("--frame-period", "0.1")
BEFORE = "9a54e6bf1e6a3f3333ad1f882e09ff1e854ade2e"
"""The code before the live fetch settings and the woken ingestion."""
TARGETS = {"quiet": (50.0, 150.0), "loaded": (80.0, 250.0)}


def fetch_wait_of(repo: Path) -> int:
    """The ``fetch.wait.max.ms`` a checkout's consumer uses: its
    `FETCH_WAIT_MAX_MS`, or librdkafka's default before it had one."""
    for path in repo.glob("app/**/*.py"):
        found = re.search(r"^FETCH_WAIT_MAX_MS = (\d+)", path.read_text(), re.M)
        if found:
            return int(found.group(1))
    return DEFAULT_FETCH_WAIT_MS


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def da00(key: str, value: sc.DataArray) -> bytes:
    return encode_da00(key, value, time.time_ns())


def load_payloads() -> list[tuple[str, str, bytes]]:
    rng = np.random.default_rng(0)
    records = []
    for key in IMAGES:
        counts = rng.poisson(10.0, (128, 128)).astype(np.float64)
        image = sc.DataArray(
            sc.array(dims=["y", "x"], values=counts, unit="counts"),
            coords={
                "x": sc.arange("x", 129.0, unit="mm"),
                "y": sc.arange("y", 129.0, unit="mm"),
            },
        )
        records.append((DATA_TOPIC, key, da00(key, image)))
    for key in SPECTRA:
        counts = rng.poisson(100.0, 1000).astype(np.float64)
        spectrum = sc.DataArray(
            sc.array(dims=["tof"], values=counts, unit="counts"),
            coords={"tof": sc.linspace("tof", 0.0, 71_000.0, 1001, unit="us")},
        )
        records.append((DATA_TOPIC, key, da00(key, spectrum)))
    return records


def produce_load(producer: confluent_kafka.Producer, stop: threading.Event) -> None:
    """4 images and 4 spectra at 14 Hz, 100 logs at 1 Hz, until `stop`."""
    data = load_payloads()
    tick = 0
    next_at = time.monotonic()
    while not stop.is_set():
        for topic, key, payload in data:
            producer.produce(topic, key=key.encode(), value=payload)
        if tick % round(LOAD_HZ) == 0:
            now = time.time_ns()
            for i, key in enumerate(LOGS):
                value = sc.scalar(float(tick + i), unit="mm")
                producer.produce(
                    LOG_TOPIC, key=key.encode(), value=encode_f144(key, value, now)
                )
        producer.poll(0)
        tick += 1
        next_at += 1 / LOAD_HZ
        stop.wait(max(0.0, next_at - time.monotonic()))


class HopConsumer:
    """A plain consumer beside the dashboard: when each probe reached a client."""

    def __init__(self, bootstrap: str, fetch_wait_ms: int) -> None:
        self.received: dict[int, float] = {}
        self._consumer = confluent_kafka.Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"hop-{time.monotonic_ns()}",
                "auto.offset.reset": "latest",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": fetch_wait_ms,
                "log_level": 2,
            }
        )
        self._consumer.subscribe([LOG_TOPIC])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            record = self._consumer.poll(0.05)
            if record is None or record.error() is not None:
                continue
            at = time.time() * 1000
            for name, value in record.headers() or []:
                if name == "probe":
                    self.received[int(value)] = at

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._consumer.close()


def probe(producer: confluent_kafka.Producer, index: int) -> float:
    """Produce probe value `index`; return when (epoch ms)."""
    value = sc.scalar(float(index), unit="K")
    payload = encode_f144(PROBE, value, time.time_ns())
    produced = time.time() * 1000
    producer.produce(
        LOG_TOPIC,
        key=PROBE.encode(),
        value=payload,
        headers=[("probe", str(index).encode())],
    )
    producer.poll(0)
    return produced


def in_view(page: Page) -> None:
    """Scroll the probe's card into view, as an operator watching it has it.

    Loaded, the probe's card is added below a screen of plots: out of view it
    would be drawn once a second (decision 061), and the bench would measure
    that period. Returns once the page no longer reports the probe's plot out
    of view (a checkout without that report: after a second).
    """
    card = f".window-{PROBE.replace('/', '-')}"
    page.locator(card).first.scroll_into_view_if_needed()
    reported = "() => Bokeh.documents[0].get_model_by_name('hidden-plots') != null"
    if not page.evaluate(reported):
        page.wait_for_timeout(1000)
        return
    page.wait_for_function(
        "(name) => { const doc = Bokeh.documents[0];"
        " const report = doc.get_model_by_name('hidden-plots');"
        " const plot = doc.get_model_by_name(name);"
        " return plot != null && !report.tags.includes(plot.id); }",
        arg=f"figure:window:{PROBE}",
        timeout=10_000,
    )


def measure(
    browser: Browser,
    repo: Path,
    fetch_wait_ms: int,
    loaded: bool,
    extra_args: tuple[str, ...] = (),
) -> tuple[list[float], list[float], int]:
    """End-to-end and Kafka-hop latencies (ms) per probe, and probes lost."""
    with MockKafkaCluster() as cluster:
        cluster.create_topic(DATA_TOPIC, partitions=4)
        cluster.create_topic(LOG_TOPIC, partitions=4)
        bootstrap = cluster.bootstrap_servers
        producer = confluent_kafka.Producer(
            {"bootstrap.servers": bootstrap, "linger.ms": 0, "log_level": 2}
        )
        keys = ",".join([PROBE, *IMAGES, *SPECTRA]) if loaded else PROBE
        args = [
            "--source",
            "kafka",
            "--bootstrap-servers",
            bootstrap,
            "--lookback",
            "0",
            "--keys",
            keys,
            "--window-size",
            "1000",
            *extra_args,
        ]
        stop = threading.Event()
        load = threading.Thread(target=produce_load, args=(producer, stop))
        hop = HopConsumer(bootstrap, fetch_wait_ms)
        try:
            with serve_dashboard(args, repo=repo) as server:
                if loaded:
                    load.start()
                page = browser.new_page(viewport={"width": 1400, "height": 1200})
                page.goto(server.url)
                page.wait_for_function("() => window.Bokeh && Bokeh.documents.length")
                source = f"window:{PROBE}"
                # Until the dashboard reads the topic: probes of -1.
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    probe(producer, -1)
                    found = page.evaluate(
                        "(name) => { const m = Bokeh.documents[0]"
                        ".get_model_by_name(name); return !!(m && m.data.value"
                        " && m.data.value.length); }",
                        source,
                    )
                    if found:
                        break
                    page.wait_for_timeout(200)
                in_view(page)
                page.evaluate(
                    "(name) => { const s = Bokeh.documents[0].get_model_by_name(name);"
                    " window.arrivals = []; const seen = () => {"
                    " const v = s.data.value; window.arrivals.push("
                    "[Array.from(v.slice(-50)), performance.timeOrigin"
                    " + performance.now()]); };"
                    " s.streaming.connect(seen); s.change.connect(seen); }",
                    source,
                )
                gaps = np.random.default_rng(1).uniform(0.5, 1.5, PROBES) / RATE_HZ
                produced = []
                next_at = time.monotonic()
                for index in range(PROBES):
                    produced.append(probe(producer, index))
                    next_at += gaps[index]
                    page.wait_for_timeout(max(0.0, next_at - time.monotonic()) * 1000)
                page.wait_for_function(
                    "(last) => window.arrivals.some(([v]) => v.includes(last))",
                    arg=PROBES - 1,
                    polling=20,
                    timeout=30_000,
                )
                arrivals = page.evaluate("() => window.arrivals")
                shown = page.evaluate(
                    "(name) => Array.from(Bokeh.documents[0]"
                    ".get_model_by_name(name).data.value)",
                    source,
                )
                page.close()
        finally:
            stop.set()
            if load.is_alive():
                load.join()
            hop.close()
            producer.flush(5)
    seen_at: dict[int, float] = {}
    for values, at in arrivals:
        for value in values:
            seen_at.setdefault(int(value), at)
    totals, hops = [], []
    lost = len(set(range(PROBES)) - {int(value) for value in shown})
    for index, produced_ms in enumerate(produced):
        if index not in seen_at or index not in hop.received:
            continue
        totals.append(seen_at[index] - produced_ms)
        hops.append(hop.received[index] - produced_ms)
    return totals, hops, lost


def row(label: str, totals: list[float], hops: list[float], lost: int) -> str:
    def pair(values: list[float]) -> str:
        return f"{statistics.median(values):6.1f} / {percentile(values, 95):6.1f}"

    # Two consumers fetch at their own phases: a record's hop in one is not
    # its hop in the other, so the share is told by medians, not per record.
    share = statistics.median(totals) - statistics.median(hops)
    return (
        f"  {label:28s} end to end {pair(totals)}   kafka hop {pair(hops)}   "
        f"dashboard ~{share:6.1f}   lost {lost}"
    )


def main(argv: list[str]) -> None:
    base = argv[0] if argv else BEFORE
    print(
        f"Latency produce -> browser document, {PROBES} probes at {RATE_HZ:.0f} Hz, "
        "median / p95 in ms (targets after: quiet <= 50 / 150, loaded <= 80 / 250,"
        " nothing lost)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        with checkout(base) as before:
            for load in ("quiet", "loaded"):
                for label, repo, wait_ms, extra in (
                    (f"before {base[:7]}", before, fetch_wait_of(before), ()),
                    ("after", REPO, FETCH_WAIT_MAX_MS, ()),
                    # Where the frame period's slots (decision 060) weigh.
                    ("after, 0.1 s frames", REPO, FETCH_WAIT_MAX_MS, FAST_FRAMES),
                ):
                    totals, hops, lost = measure(
                        browser, repo, wait_ms, load == "loaded", extra
                    )
                    print(row(f"{load} {label}", totals, hops, lost), flush=True)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
