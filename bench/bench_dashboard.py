"""Benchmark: the dashboard in headless chromium, against the page's targets.

Prints medians and 95th percentiles of
- latency from a value entering the DataService to it being in the browser's
  Bokeh document (one scalar key with its plots, in-process server);
- bytes per sliding-window update of one scalar, windows of 100 and 10,000;
- server CPU of ``panel serve`` with the default layout, 1 and 5 sessions, and
  websocket messages per frame (all plot updates of a frame in one batch);
- server CPU over the 30 s after a GET that never opens a websocket.

Sections can be chosen: ``python bench/bench_dashboard.py latency-hops`` runs only
the latency (with where its time goes, hop by hop); the names are
those of `SECTIONS`.
"""

from __future__ import annotations

import bisect
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import panel as pn
import scipp as sc
from playwright.sync_api import Browser, Page, sync_playwright

from app.ingestion.process import Ingestion
from app.options import DashboardOptions
from app.page.frame_clock import FrameClock
from app.page.shell import open_page
from app.sources import SimulatedInstrument
from app.testing.headless_chromium import CHROMIUM, CHROMIUM_ARGS
from app.testing.local_server import free_port, serve_dashboard
from app.testing.process_stats import CpuMeter

DEFAULT_PERIOD_S = DashboardOptions().frame_period_s
PROBE = "log/probe"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def cpu_percent(pid: int, seconds: float, page: Page | None = None) -> float:
    """Share of one core a process used over the next ``seconds``.

    With a ``page``, the wait happens in Playwright so it keeps delivering
    websocket frames to the meters meanwhile.
    """
    meter = CpuMeter(pid)
    if page is None:
        time.sleep(seconds)  # the measurement window itself
    else:
        page.wait_for_timeout(seconds * 1000)
    return meter.percent()


@dataclass
class WebsocketMessages:
    """Bokeh protocol messages a page receives, with their size in bytes.

    A message is a header frame (JSON with ``msgtype``), metadata, content and
    any binary buffers; frames are summed until the next header.
    """

    messages: list[tuple[float, str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, page: Page) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        size = len(payload.encode() if isinstance(payload, str) else payload)
        msgtype = None
        if (
            isinstance(payload, str)
            and payload.startswith("{")
            and "msgtype" in payload
        ):
            try:
                msgtype = json.loads(payload).get("msgtype")
            except ValueError:
                msgtype = None
        with self._lock:
            if msgtype is not None:
                self.messages.append((time.monotonic(), msgtype, size))
            elif self.messages:
                at, kind, total = self.messages[-1]
                self.messages[-1] = (at, kind, total + size)

    def patches_since(self, since: float) -> list[int]:
        with self._lock:
            return [
                s
                for at, kind, s in self.messages
                if kind == "PATCH-DOC" and at >= since
            ]


def wait_for_data(page: Page, source: str, column: str) -> None:
    page.wait_for_function(
        "([s, c]) => window.Bokeh && Bokeh.documents.length &&"
        " Bokeh.documents[0].get_model_by_name(s) &&"
        " Bokeh.documents[0].get_model_by_name(s).data[c].length > 0",
        arg=[source, column],
        polling=50,
        timeout=60_000,
    )


# Latency ---------------------------------------------------------------------
@contextmanager
def in_process_server(ingestion: Ingestion, options: DashboardOptions) -> Iterator[str]:
    port = free_port()
    server = pn.serve(
        {"dashboard": lambda: open_page(ingestion, options)[1]},
        port=port,
        address="127.0.0.1",
        websocket_origin=[f"127.0.0.1:{port}"],
        show=False,
        threaded=True,
    )
    try:
        yield f"http://127.0.0.1:{port}/dashboard"
    finally:
        server.stop()


def probe_value(index: int) -> sc.DataArray:
    value = sc.DataArray(sc.scalar(float(index), unit="K"))
    value.coords["time"] = sc.datetime(time.time_ns(), unit="ns")
    return value


def latency_ms(
    browser: Browser,
    *,
    updates: int,
    rate_hz: float,
    with_instrument: bool,
    sessions: int = 1,
    entered_at: list[float] | None = None,
) -> list[float]:
    """Per value: time from entering the DataService to being in the browser.

    With more than one session, the others are open on the same server and
    draw the same key; the latency is measured in the first. `entered_at`, if
    given, receives each value's entry time (epoch ms), in order.
    """
    instrument = SimulatedInstrument(rate_hz=5.0)
    ingestion = Ingestion(instrument, ingest_period_s=0.05)
    ingestion.data_service[PROBE] = probe_value(-1)
    keys = () if with_instrument else (PROBE,)
    if with_instrument:
        ingestion.start()
    options = DashboardOptions(keys=keys)
    entered: dict[int, float] = {}
    try:
        with in_process_server(ingestion, options) as url:
            others = []
            for _ in range(sessions - 1):
                other = browser.new_page(viewport={"width": 1400, "height": 1200})
                other.goto(url)
                wait_for_data(other, f"window:{PROBE}", "value")
                others.append(other)
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(url)
            wait_for_data(page, f"window:{PROBE}", "value")
            page.evaluate(
                "(name) => { const s = Bokeh.documents[0].get_model_by_name(name);"
                " window.arrivals = []; const seen = () => { const v = s.data.value;"
                " window.arrivals.push([v[v.length - 1],"
                " performance.timeOrigin + performance.now()]); };"
                " s.streaming.connect(seen); s.change.connect(seen); }",
                f"window:{PROBE}",
            )
            # Random gaps (mean 1/rate) so values arrive at every phase of the
            # frame clock, as a real source's do, not locked to it.
            gaps = np.random.default_rng(0).uniform(0.5, 1.5, updates) / rate_hz
            next_at = time.monotonic()
            for index in range(updates):
                value = probe_value(index)
                entered[index] = time.time() * 1000
                ingestion.data_service[PROBE] = value
                next_at += gaps[index]
                time.sleep(max(0.0, next_at - time.monotonic()))
            page.wait_for_function(
                "(last) => window.arrivals.some(([v]) => v >= last)",
                arg=updates - 1,
                polling=50,
            )
            arrivals = page.evaluate("() => window.arrivals")
            page.close()
            for other in others:
                other.close()
    finally:
        ingestion.stop()
    if entered_at is not None:
        entered_at.extend(entered.values())
    latencies = []
    for index, entered_ms in entered.items():
        arrived = min(at for value, at in arrivals if value >= index)
        latencies.append(arrived - entered_ms)
    return latencies


def bench_latency(browser: Browser) -> None:
    median_target = DEFAULT_PERIOD_S * 1000 / 2 + 30
    p95_target = DEFAULT_PERIOD_S * 1000 + 100
    print(
        f"Latency DataService -> browser document, frame period "
        f"{DEFAULT_PERIOD_S * 1000:.0f} ms, 150 values at 5 Hz on average "
        f"(targets: median <= {median_target:.0f} ms, p95 <= {p95_target:.0f} ms)"
    )
    for label, with_instrument in (
        ("one scalar key (value panel + window)", False),
        ("probe among the full default layout", True),
    ):
        values = latency_ms(
            browser, updates=150, rate_hz=5.0, with_instrument=with_instrument
        )
        median, p95 = statistics.median(values), percentile(values, 95)
        ok = median <= median_target and p95 <= p95_target
        print(
            f"  {label:40s} median {median:6.1f} ms  p95 {p95:6.1f} ms  "
            f"max {max(values):6.1f} ms  {verdict(ok)}"
        )


@contextmanager
def drawn_frames() -> Iterator[list[tuple[float, float]]]:
    """Start and end (epoch ms) of every frame the last session to start draws.

    The list is filled when the block ends; the measured page opens last.
    """
    frames: list[tuple[float, float]] = []
    per_clock: dict[int, list[tuple[float, float]]] = {}
    original = FrameClock._frame

    def timed(clock: FrameClock) -> None:
        sent, start = clock.stats.sent, time.time() * 1000
        original(clock)
        if clock.stats.sent > sent:
            per_clock.setdefault(id(clock), []).append((start, time.time() * 1000))

    FrameClock._frame = timed
    try:
        yield frames
    finally:
        FrameClock._frame = original
        if per_clock:
            frames.extend(max(per_clock.values(), key=lambda drawn: drawn[0][0]))


def print_hops(
    entered: list[float], latencies: list[float], frames: list[tuple[float, float]]
) -> None:
    """Split each value's latency at the frame of the measured page that drew it."""
    starts = [start for start, _ in frames]
    waits, draws, deliveries = [], [], []
    for entered_ms, latency in zip(entered, latencies, strict=True):
        index = bisect.bisect_left(starts, entered_ms)
        if index == len(frames):
            continue
        start, end = frames[index]
        waits.append(start - entered_ms)
        draws.append(end - start)
        deliveries.append(entered_ms + latency - end)
    for label, values in (
        ("value entered -> its frame starts (hand-off, period)", waits),
        ("frame drawn on the session's loop", draws),
        ("frame drawn -> in the browser's document", deliveries),
    ):
        print(
            f"    {label:54s} median {statistics.median(values):6.1f} ms  "
            f"p95 {percentile(values, 95):6.1f} ms"
        )


def bench_latency_hops(browser: Browser) -> None:
    period_ms = DEFAULT_PERIOD_S * 1000
    p95_target = period_ms + 50
    print(
        f"Latency DataService -> browser document, hop by hop, frame period "
        f"{period_ms:.0f} ms, one scalar key, 150 values at 5 Hz on average "
        f"(targets: median <= 30 ms, p95 <= {p95_target:.0f} ms)"
    )
    for sessions in (1, 5):
        entered: list[float] = []
        with drawn_frames() as frames:
            values = latency_ms(
                browser,
                updates=150,
                rate_hz=5.0,
                with_instrument=False,
                sessions=sessions,
                entered_at=entered,
            )
        median, p95 = statistics.median(values), percentile(values, 95)
        ok = median <= 30 and p95 <= p95_target
        print(
            f"  {sessions} session(s): median {median:6.1f} ms  p95 {p95:6.1f} ms  "
            f"max {max(values):6.1f} ms  {verdict(ok)}"
        )
        print_hops(entered, values, frames)


# Bytes per window update -----------------------------------------------------
def bench_bytes(browser: Browser) -> None:
    print(
        "Bytes per sliding-window update, one scalar at 5 Hz, whole websocket "
        "message per frame (window stream + value panel + header; the status "
        "line joins one frame a second) (target: <= 1 KB, same for 100 and 10,000)"
    )
    for window in (100, 10_000):
        with serve_dashboard(
            ["--keys", "log/sample_temperature", "--window-size", str(window)]
        ) as server:
            page = browser.new_page()
            meter = WebsocketMessages()
            meter.attach(page)
            page.goto(server.url)
            wait_for_data(page, "window:log/sample_temperature", "value")
            # Waiting in Playwright (not time.sleep) lets it deliver frames.
            page.wait_for_timeout(2000)  # the initial document and first frames
            since = time.monotonic()
            page.wait_for_timeout(20_000)  # the measurement window
            sizes = meter.patches_since(since)
            page.close()
        median, p95 = statistics.median(sizes), percentile(sizes, 95)
        print(
            f"  window {window:6d}: {len(sizes)} messages, median {median:5.0f} B, "
            f"p95 {p95:5.0f} B, max {max(sizes):5.0f} B  {verdict(p95 <= 1024)}"
        )


# Server CPU --------------------------------------------------------------------
def bench_cpu(browser: Browser) -> None:
    print(
        "Server CPU, default layout (11 plots), default frame period, "
        "simulated instrument at 5 Hz (targets: 1 session < 15%, 5 sessions < 40%)"
    )
    with serve_dashboard([]) as server:
        time.sleep(3)  # let ingestion settle after start
        print(f"  no session (ingestion only): {cpu_percent(server.pid, 15):5.1f}%")
        pages = []
        meter = WebsocketMessages()
        for count, target in ((1, 15.0), (5, 40.0)):
            while len(pages) < count:
                page = browser.new_page(viewport={"width": 1400, "height": 1200})
                if not pages:
                    meter.attach(page)
                page.goto(server.url)
                wait_for_data(page, "image:detector/panel_0", "image")
                pages.append(page)
            pages[0].wait_for_timeout(3000)  # sessions settle after first frames
            since = time.monotonic()
            percent = cpu_percent(server.pid, 20, page=pages[0])
            per_frame = len(meter.patches_since(since)) / (20 / DEFAULT_PERIOD_S)
            print(
                f"  {count} session(s): {percent:5.1f}% of a core  "
                f"{verdict(percent < target)}; the first page got "
                f"{per_frame:.2f} PATCH-DOC messages per frame"
            )
        for page in pages:
            page.close()


def bench_get_without_websocket() -> None:
    print(
        "Server CPU over the 30 s after a GET that never opens a websocket "
        "(target: < 5%)"
    )
    with serve_dashboard([]) as server:
        time.sleep(3)  # let ingestion settle after start
        idle = cpu_percent(server.pid, 10)
        assert server.get() == 200
        after = cpu_percent(server.pid, 30)
    print(
        f"  idle before: {idle:4.1f}%, after the GET: {after:4.1f}%  "
        f"{verdict(after < 5)}"
    )


SECTIONS = {
    "latency": bench_latency,
    "latency-hops": bench_latency_hops,
    "bytes": bench_bytes,
    "cpu": bench_cpu,
}


def main(sections: list[str]) -> None:
    chosen = sections or [*SECTIONS, "get"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        for name, section in SECTIONS.items():
            if name in chosen:
                section(browser)
        browser.close()
    if "get" in chosen:
        bench_get_without_websocket()


if __name__ == "__main__":
    main(sys.argv[1:])
