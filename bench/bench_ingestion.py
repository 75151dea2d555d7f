"""Benchmark: Orchestrator + DataService applying batches of 1,000 messages.

Mixed keys (1-D 1000-bin monitor spectra with variances, 0-D logs), one
`WindowExtractor(100)` subscriber per key, so every batch is one transaction
that notifies every subscriber once. Prints the median over repeats of
messages per second, and per-message cost by kind; then the same with the
history the ingestion keeps for every key (decision 018), with and without
subscribers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import scipp as sc
from recorder import Recorder

from app.data import DataService, WindowExtractor
from app.ingestion.orchestrator import Orchestrator
from app.ingestion.process import default_history
from app.options import DashboardOptions
from app.sources.message import Message, SourceStatus, stamped

BATCH = 1_000
BATCHES = 10
REPEATS = 5
WINDOW = 100
SPECTRUM_KEYS = [f"monitor/m{i}" for i in range(10)]
LOG_KEYS = [f"log/sensor_{i}" for i in range(10)]
T0 = 1_700_000_000_000_000_000


def spectrum(i: int, rng: np.random.Generator) -> sc.DataArray:
    counts = rng.poisson(100.0, 1000).astype(np.float64)
    return sc.DataArray(
        sc.array(dims=["tof"], values=counts, variances=counts, unit="counts"),
        coords={"tof": sc.linspace("tof", 0.0, 71_000.0, 1001, unit="us")},
    )


def log_value(i: int, rng: np.random.Generator) -> sc.DataArray:
    return sc.DataArray(sc.scalar(290.0 + rng.normal(), unit="K"))


Stream = tuple[str, Callable[[int, np.random.Generator], sc.DataArray]]


def batches(streams: list[Stream]) -> list[list[Message]]:
    """`BATCHES` batches of `BATCH` messages cycling over `streams`, in time order."""
    rng = np.random.default_rng(0)
    result = []
    for b in range(BATCHES):
        batch = []
        for j in range(BATCH):
            i = b * BATCH + j
            key, make_value = streams[i % len(streams)]
            timestamp = T0 + i * 1_000
            batch.append(
                Message(key, stamped(make_value(i, rng), timestamp), timestamp)
            )
        result.append(batch)
    return result


class BatchSource:
    def __init__(self, batches: list[list[Message]]) -> None:
        self._batches = list(batches)

    def get_messages(self) -> list[Message]:
        return self._batches.pop(0) if self._batches else []

    def close(self) -> None:
        self._batches.clear()

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(connected=True, description="benchmark batches")


def messages_per_second(
    prepared: list[list[Message]],
    keys: list[str],
    *,
    kept: bool = False,
    subscribed: bool = True,
) -> float:
    """Apply all batches to a fresh service, return the median batch rate."""
    ds = DataService()
    if kept:
        ds.keep_for_every_key(default_history(DashboardOptions(window_size=WINDOW)))
    subscribed_keys = keys if subscribed else []
    subscribers = [Recorder(key, WindowExtractor(WINDOW)) for key in subscribed_keys]
    for subscriber in subscribers:
        ds.register_subscriber(subscriber)
    # Whole batches even on a busy machine: the cost per message is measured.
    orchestrator = Orchestrator(BatchSource(prepared), ds, max_batch_seconds=60.0)
    rates = []
    for _ in prepared:
        started = time.perf_counter()
        applied = orchestrator.update()
        rates.append(applied / (time.perf_counter() - started))
    assert orchestrator.stats.applied == BATCH * BATCHES
    assert all(s.triggers == BATCHES for s in subscribers)
    # The first batches grow the buffers; the steady state is what counts.
    return statistics.median(rates[2:])


def main() -> None:
    spectra: list[Stream] = [(key, spectrum) for key in SPECTRUM_KEYS]
    logs: list[Stream] = [(key, log_value) for key in LOG_KEYS]
    scenarios = {
        "mixed (10 spectra + 10 logs)": spectra + logs,
        "spectra only (10 keys)": spectra,
        "logs only (10 keys)": logs,
    }
    print(
        f"Orchestrator + DataService, batches of {BATCH} messages, "
        f"one WindowExtractor({WINDOW}) subscriber per key; "
        f"median of {REPEATS} runs x {BATCHES - 2} steady batches"
    )
    variants = {
        "": {},
        "kept, subscribed": {"kept": True},
        "no subscribers": {"subscribed": False},
        "kept, no subscribers": {"kept": True, "subscribed": False},
    }
    for name, streams in scenarios.items():
        keys = [key for key, _ in streams]
        for variant, flags in variants.items():
            rates = [
                messages_per_second(batches(streams), keys, **flags)
                for _ in range(REPEATS)
            ]
            rate = statistics.median(rates)
            label = f"{name}, {variant}" if variant else name
            print(
                f"  {label:52s} {rate:10,.0f} messages/s  "
                f"({1e6 / rate:6.1f} us/message)"
            )


if __name__ == "__main__":
    main()
