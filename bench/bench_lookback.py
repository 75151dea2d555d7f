"""Benchmark: time to first value of a new dashboard with a long Kafka history.

librdkafka's mock cluster (in this process) holds `HISTORY` f144 logs of `KEYS`
sources, written before the dashboard starts. Each run starts a new
`KafkaSource` (own consumer group, default look-back) with an Orchestrator
applying at most `BATCH` messages per update, and measures from constructing
the source to the first value applied and to every source's last value
applied. Prints medians over `REPEATS` runs, and what the look-back read: it is
bounded by `lookback_records` per partition, not by the history.
"""

from __future__ import annotations

import os
import statistics
import time

import confluent_kafka
from recorder import Recorder
from streaming_data_types.logdata_f144 import serialise_f144

from app.data import DataService, LatestValueExtractor
from app.ingestion.orchestrator import Orchestrator
from app.sources.kafka import KafkaSource
from app.sources.lookback import DEFAULT_LOOKBACK_RECORDS, DEFAULT_LOOKBACK_S
from app.testing.mock_cluster import MockKafkaCluster

HISTORY = 100_000
KEYS = [f"log/sensor_{i}" for i in range(50)]
PARTITIONS = 4
TOPIC = "history_logs"
REPEATS = 5
BATCH = 1_000
UPDATE_PERIOD_S = 0.005
T0 = 1_700_000_000_000_000_000
LAST_VALUES = {key: float(HISTORY - len(KEYS) + n) for n, key in enumerate(KEYS)}
"""The value each source wrote last."""


def write_history(bootstrap: str) -> None:
    producer = confluent_kafka.Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 5, "log_level": 2}
    )
    for i in range(HISTORY):
        key = KEYS[i % len(KEYS)]
        payload = serialise_f144(key, float(i), T0 + i)
        while True:
            try:
                producer.produce(TOPIC, key=key.encode(), value=payload)
                break
            except BufferError:  # the local queue is full: let it drain
                producer.poll(0.01)
        producer.poll(0)
    if producer.flush(60) != 0:
        raise RuntimeError("history not written")


def first_values(bootstrap: str) -> dict[str, float]:
    """Seconds from a new source to its first value and to every source's last."""
    ds = DataService()
    for key in KEYS:
        ds.register_subscriber(Recorder(key, LatestValueExtractor()))
    started = time.perf_counter()
    source = KafkaSource(bootstrap, [TOPIC], config={"log_level": 2})
    orchestrator = Orchestrator(source, ds, max_messages_per_update=BATCH)
    first = None
    largest_batch = 0
    deadline = started + 120
    waiting = dict(LAST_VALUES)
    try:
        while waiting:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{len(waiting)} keys without last value at 120 s")
            if orchestrator.update():
                largest_batch = max(largest_batch, orchestrator.stats.last_batch_size)
                if first is None:
                    first = time.perf_counter() - started
                for key, last in list(waiting.items()):
                    if key in ds and ds[key].value == last:
                        del waiting[key]
            else:
                time.sleep(UPDATE_PERIOD_S)
        every_key = time.perf_counter() - started
        stats = source.stats
    finally:
        source.close()
    return {
        "first": first or every_key,
        "every_key": every_key,
        "replayed": stats.replayed,
        "dropped": stats.dropped,
        "largest_batch": largest_batch,
    }


def main() -> None:
    with MockKafkaCluster() as cluster:
        cluster.create_topic(TOPIC, partitions=PARTITIONS)
        write_history(cluster.bootstrap_servers)
        runs = [first_values(cluster.bootstrap_servers) for _ in range(REPEATS)]

    def median(name: str) -> float:
        return statistics.median(run[name] for run in runs)

    print(
        f"Look-back (mock cluster): {HISTORY:,} f144 logs of {len(KEYS)} sources "
        f"in {PARTITIONS} partitions written before the start; default look-back "
        f"({DEFAULT_LOOKBACK_S:.0f} s, at most {DEFAULT_LOOKBACK_RECORDS:,} records "
        f"per partition); Orchestrator batches of at most {BATCH:,}; median of "
        f"{REPEATS} new dashboards; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  first value        {1000 * median('first'):8.0f} ms after the start")
    print(f"  every source's last {1000 * median('every_key'):7.0f} ms after the start")
    print(
        f"  records read       {median('replayed'):8.0f} of {HISTORY:,} "
        f"(dropped {median('dropped'):.0f}); largest batch "
        f"{median('largest_batch'):.0f}"
    )


if __name__ == "__main__":
    main()
