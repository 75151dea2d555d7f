"""Benchmark: da00 spectra through Kafka (librdkafka's mock cluster) into the service.

Two processes on two CPUs: this one, pinned to CPU 0, runs the consuming side
(KafkaSource's consumer thread, librdkafka's consumer threads, the Orchestrator
and the DataService); a child pinned to CPU 1 hosts the mock broker and a
producer, as a broker would run elsewhere. The producer keeps at most `BACKLOG`
messages ahead of what the consumer has received, because the mock keeps only a
few MB per partition. Prints medians over repeats of the end-to-end rate (first to last
message applied; group join excluded) and where the time goes: CPU time per
message of decoding (consumer thread) and applying (Orchestrator.update), and
the rest of the wall time (librdkafka's threads, GIL hand-overs, waiting).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import time
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized

import confluent_kafka
import numpy as np
from recorder import Recorder
from streaming_data_types.dataarray_da00 import Variable, serialise_da00

from app.data import DataService, WindowExtractor
from app.ingestion.orchestrator import Orchestrator
from app.sources.codec import Decoder
from app.sources.kafka import KafkaSource
from app.testing.mock_cluster import MockKafkaCluster

MESSAGES = 10_000
BINS = 1_000
KEYS = [f"monitor/m{i}" for i in range(10)]
REPEATS = 3
WINDOW = 100
BACKLOG = 300
UPDATE_PERIOD_S = 0.005
T0 = 1_700_000_000_000_000_000
_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
# With a single CPU, both sides share it (and the figures say so).
CONSUMER_CPU, BROKER_CPU = _CPUS[0], _CPUS[-1]


def pin_process(cpu: int) -> None:
    """Pin this process; threads started afterwards inherit the CPU."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})


def payloads(count: int) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(0)
    edges = np.linspace(0.0, 71_000.0, BINS + 1)
    result = []
    for i in range(count):
        key = KEYS[i % len(KEYS)]
        counts = rng.poisson(100.0, BINS).astype(np.float64)
        errors = np.sqrt(counts)
        payload = serialise_da00(
            source_name=key,
            timestamp_ns=T0 + i,
            data=[
                Variable(name="signal", data=counts, axes=["tof"], unit="counts"),
                Variable(name="errors", data=errors, axes=["tof"], unit="counts"),
                Variable(name="tof", data=edges, axes=["tof"], unit="us"),
            ],
        )
        result.append((key, payload))
    return result


def broker_and_producer(control: Connection, consumed: Synchronized) -> None:
    """Child process: host the mock cluster; produce each run on request."""
    pin_process(BROKER_CPU)
    records = payloads(MESSAGES)
    with MockKafkaCluster() as cluster:
        control.send(cluster.bootstrap_servers)
        producer = confluent_kafka.Producer(
            {"bootstrap.servers": cluster.bootstrap_servers, "linger.ms": 1}
        )
        while (topic := control.recv()) is not None:
            cluster.create_topic(topic, partitions=4)
            control.send("ready")
            for produced, (key, payload) in enumerate(records):
                while produced - consumed.value >= BACKLOG:
                    producer.poll(0.0005)
                producer.produce(topic, key=key.encode(), value=payload)
                producer.poll(0)
            producer.flush(30)
        producer.flush(30)


def end_to_end(
    bootstrap: str, topic: str, control: Connection, consumed: Synchronized
) -> dict[str, float]:
    """Consume while the child produces; time from first to last message applied."""
    consumed.value = 0
    control.send(topic)
    control.recv()
    ds = DataService()
    for key in KEYS:
        ds.register_subscriber(Recorder(key, WindowExtractor(WINDOW)))
    # The mock answers an empty fetch only after fetch.wait.max.ms (500 ms by
    # default), even when data arrives meanwhile; a real broker answers at once.
    config = {"auto.offset.reset": "earliest", "fetch.wait.max.ms": 5}
    source = KafkaSource(bootstrap, [topic], config=config)
    orchestrator = Orchestrator(source, ds)
    apply_seconds = 0.0
    first = None
    deadline = time.monotonic() + 300
    try:
        while orchestrator.stats.applied < MESSAGES:
            if time.monotonic() > deadline:
                raise TimeoutError(f"applied {orchestrator.stats.applied}")
            cpu_before = time.thread_time()
            applied = orchestrator.update()
            consumed.value = source.stats.consumed
            if applied:
                apply_seconds += time.thread_time() - cpu_before
                if first is None:
                    first = time.perf_counter() - orchestrator.stats.last_batch_seconds
            else:
                time.sleep(UPDATE_PERIOD_S)
        elapsed = time.perf_counter() - first
        source_stats = source.stats
    finally:
        source.close()
    return {
        "rate": MESSAGES / elapsed,
        "total_us": 1e6 * elapsed / MESSAGES,
        "decode_us": 1e6 * source_stats.decode_seconds / MESSAGES,
        "apply_us": 1e6 * apply_seconds / MESSAGES,
        "dropped": source_stats.dropped,
        "batches": orchestrator.stats.batches,
    }


def decode_only(records: list[tuple[str, bytes]]) -> tuple[float, float]:
    """Wall and CPU microseconds per message of `Decoder.decode` alone."""
    decoder = Decoder()
    wall, cpu = time.perf_counter(), time.thread_time()
    for _, payload in records:
        decoder.decode(payload)
    count = len(records)
    return (
        1e6 * (time.perf_counter() - wall) / count,
        1e6 * (time.thread_time() - cpu) / count,
    )


def main() -> None:
    context = multiprocessing.get_context("spawn")
    control, child_control = context.Pipe()
    consumed = context.Value("q", 0, lock=False)
    child = context.Process(
        target=broker_and_producer, args=(child_control, consumed), daemon=True
    )
    child.start()
    pin_process(CONSUMER_CPU)
    try:
        bootstrap = control.recv()
        runs = [
            end_to_end(bootstrap, f"spectra_{i}", control, consumed)
            for i in range(REPEATS)
        ]
    finally:
        control.send(None)
        child.join(60)
    records = payloads(2_000)
    decode_runs = [decode_only(records) for _ in range(REPEATS)]

    def median(name: str) -> float:
        return statistics.median(run[name] for run in runs)

    print(
        f"Kafka end to end (mock cluster): {MESSAGES:,} da00 spectra of {BINS} bins "
        f"({len(records[0][1]) / 1024:.1f} KiB each) over {len(KEYS)} keys, one "
        f"WindowExtractor({WINDOW}) subscriber per key; consumer process on CPU "
        f"{CONSUMER_CPU}, broker + producer process on CPU {BROKER_CPU}; "
        f"median of {REPEATS}; load average {os.getloadavg()[0]:.1f}"
    )
    rest = median("total_us") - median("decode_us") - median("apply_us")
    print(f"  end to end      {median('rate'):10,.0f} messages/s")
    print(f"  per message     {median('total_us'):6.1f} us wall in all:")
    print(f"    decode        {median('decode_us'):6.1f} us CPU (consumer thread)")
    print(f"    apply         {median('apply_us'):6.1f} us CPU (Orchestrator.update)")
    print(f"    rest          {rest:6.1f} us (librdkafka threads, GIL, waiting)")
    wall = statistics.median(run[0] for run in decode_runs)
    cpu = statistics.median(run[1] for run in decode_runs)
    print(f"  decode alone    {wall:6.1f} us wall, {cpu:.1f} us CPU per message")
    print(
        f"  batches         {median('batches'):6.0f} per run, "
        f"dropped {median('dropped'):.0f}"
    )


if __name__ == "__main__":
    main()
