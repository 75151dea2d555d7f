"""Tests of app/recording/restore.py: a restart fills its buffers from its own
recordings, then live data follows without a duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest
import scipp as sc

from app.data import DataService, FullHistoryExtractor
from app.ingestion.process import Ingestion, make_restoring_source
from app.options import DashboardOptions
from app.recording.reader import read_records
from app.recording.restore import RestoringSource, plan_restore
from app.recording.writer import Recorder
from app.sources.codec import encode_f144
from app.sources.message import Message, SourceStatus
from app.sources.simulated import SAMPLE_TEMPERATURE
from tests.recording.support import T0, record
from tests.recording.test_replay import _records
from tests.waiting import poll_until

ROOT = Path(__file__).resolve().parents[2]


def test_the_plan_holds_the_look_back_and_where_each_partition_resumes(
    tmp_path: Path,
) -> None:
    recorder = Recorder(tmp_path)
    recorder.record([record(i, arrived_ns=T0 + i * 1_000_000_000) for i in range(10)])
    recorder.close()

    plan = plan_restore(tmp_path, lookback_s=5, now_ns=T0 + 9_500_000_000)

    assert plan is not None
    assert plan.records == 5  # arrived 5 s .. 9 s
    # record(i) lies in partition i % 3 at offset i.
    assert plan.resume_offsets == {("data", 0): 10, ("data", 1): 8, ("data", 2): 9}
    assert plan.first_offsets == {("data", 0): 6, ("data", 1): 7, ("data", 2): 5}
    assert plan_restore(tmp_path, lookback_s=0) is None
    assert plan_restore(tmp_path / "none", lookback_s=60) is None


class _Live:
    """A live source that hands out its messages once."""

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages

    def get_messages(self) -> list[Message]:
        messages, self.messages = self.messages, []
        return messages

    def close(self) -> None:
        pass

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(connected=True, description="live")


def test_restored_messages_come_first_then_live_ones(tmp_path: Path) -> None:
    records = _records([0.0, 1.0, 2.0])
    recorder = Recorder(tmp_path)
    recorder.record(records)
    recorder.close()
    plan = plan_restore(tmp_path, 10, now_ns=T0 + 3_000_000_000)
    assert plan is not None
    live_message = Message("log/motor_x", sc.scalar(1.0), T0 + 4_000_000_000)
    source = RestoringSource(plan, _Live([live_message]))

    assert "restoring 0 of 3 recorded" in source.status.description
    restored = source.get_messages()
    live = source.get_messages()

    assert [m.timestamp for m in restored] == [r.arrived_ns for r in records]
    assert live == [live_message]
    assert source.status.description == "live"


# A dashboard that records the simulated instrument at 50 Hz until killed.
RECORDING_DASHBOARD = textwrap.dedent(
    """
    import sys, time
    from app.ingestion.process import Ingestion, make_recorder, make_source
    from app.options import DashboardOptions

    options = DashboardOptions(
        record_dir=sys.argv[1], simulated_rate_hz=50.0, keys=("log/sample_temperature",)
    )
    recorder = make_recorder(options)
    source = make_source(options, recorder)
    Ingestion(source, ingest_period_s=0.01, recorder=recorder).start()
    time.sleep(600)
    """
)


def test_a_restart_after_kill_9_shows_what_was_recorded_then_live_data(
    tmp_path: Path,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", RECORDING_DASHBOARD, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])},
    )
    try:
        poll_until(lambda: sum(1 for _ in read_records(tmp_path)) >= 100, 60)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    recorded = [r.timestamp_ms for r in read_records(tmp_path)]

    # The restarted dashboard, as `process_ingestion` starts it.
    options = DashboardOptions(
        record_dir=str(tmp_path), simulated_rate_hz=50.0, keys=(SAMPLE_TEMPERATURE,)
    )
    source, recorder = make_restoring_source(options)
    assert isinstance(source, RestoringSource)
    ingestion = Ingestion(
        source, ingest_period_s=0.01, data_service=DataService(), recorder=recorder
    )

    history: list[sc.DataArray] = []

    class Everything:
        def __init__(self) -> None:
            self.keys = {SAMPLE_TEMPERATURE}
            self.extractors = {SAMPLE_TEMPERATURE: FullHistoryExtractor()}

        def trigger(self, store: Mapping[str, sc.DataArray]) -> None:
            history[:] = [store[SAMPLE_TEMPERATURE]]

    ingestion.data_service.register_subscriber(Everything())
    ingestion.start()
    try:
        poll_until(lambda: ingestion.orchestrator.stats.applied >= len(recorded) + 10)
    finally:
        ingestion.stop()

    times = list(history[0].coords["time"].values.astype("int64"))
    # The recorded frames, each once, then live ones after them.
    assert [t // 1_000_000 for t in times[: len(recorded)]] == recorded
    assert len(times) > len(recorded)
    assert times == sorted(set(times))


@pytest.mark.kafka
def test_kafka_resumes_after_what_was_restored_without_a_gap_or_duplicate(
    tmp_path: Path,
) -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    from app.sources.kafka import KafkaSource
    from app.testing.mock_cluster import MockKafkaCluster

    key = "log/motor_x"
    with MockKafkaCluster() as cluster:
        cluster.create_topic("logs", partitions=2)
        producer = confluent_kafka.Producer(
            {"bootstrap.servers": cluster.bootstrap_servers, "linger.ms": 0}
        )

        def publish(numbers: range) -> None:
            for i in numbers:
                payload = encode_f144(key, sc.scalar(float(i)), T0 + i)
                producer.produce("logs", key=f"k{i % 5}".encode(), value=payload)
            assert producer.flush(10) == 0

        publish(range(30))
        recorder = Recorder(tmp_path)
        first = KafkaSource(cluster.bootstrap_servers, ["logs"], tap=recorder.record)
        poll_until(lambda: first.stats.consumed == 30)
        first.close()
        recorder.close()
        publish(range(30, 40))

        plan = plan_restore(tmp_path, lookback_s=3600)
        assert plan is not None
        restarted = RestoringSource(
            plan,
            KafkaSource(
                cluster.bootstrap_servers,
                ["logs"],
                resume_offsets=plan.resume_offsets,
            ),
        )
        got: list[Message] = []
        try:
            poll_until(
                lambda: bool(got.extend(restarted.get_messages())) or len(got) >= 40
            )
        finally:
            restarted.close()

    assert sorted(m.timestamp - T0 for m in got) == list(range(40))
    # The restored thirty first, then what Kafka had after them.
    assert {m.timestamp - T0 for m in got[:30]} == set(range(30))


@pytest.mark.kafka
def test_kafka_fills_what_the_recording_lacks_then_it_restores_then_live_each_once(
    tmp_path: Path,
) -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    from app.sources.kafka import KafkaSource
    from app.testing.mock_cluster import MockKafkaCluster

    key = "log/motor_x"
    with MockKafkaCluster() as cluster:
        cluster.create_topic("logs", partitions=2)
        producer = confluent_kafka.Producer(
            {"bootstrap.servers": cluster.bootstrap_servers, "linger.ms": 0}
        )
        next_offsets: dict[tuple[str, int], int] = {}

        def delivered(error: object, record: confluent_kafka.Message) -> None:
            where = (record.topic(), record.partition())
            next_offsets[where] = max(next_offsets.get(where, 0), record.offset() + 1)

        def publish(numbers: range) -> None:
            for i in numbers:
                payload = encode_f144(key, sc.scalar(float(i)), T0 + i)
                producer.produce(
                    "logs",
                    key=f"k{i % 5}".encode(),
                    value=payload,
                    on_delivery=delivered,
                )
            assert producer.flush(10) == 0

        # Thirty records before the dashboard began recording, thirty while
        # it recorded, ten while it was down.
        publish(range(30))
        recorder = Recorder(tmp_path)
        first = KafkaSource(
            cluster.bootstrap_servers,
            ["logs"],
            tap=recorder.record,
            resume_offsets=dict(next_offsets),
        )
        publish(range(30, 60))
        poll_until(lambda: first.stats.consumed == 30)
        first.close()
        recorder.close()
        publish(range(60, 70))

        options = DashboardOptions(
            source="kafka",
            bootstrap_servers=cluster.bootstrap_servers,
            topics=("logs",),
            record_dir=str(tmp_path),
            lookback_s=3600,
        )
        restarted, again = make_restoring_source(options)
        got: list[Message] = []
        try:
            poll_until(
                lambda: bool(got.extend(restarted.get_messages())) or len(got) >= 70
            )
        finally:
            restarted.close()
            assert again is not None
            again.close()

    numbers = [m.timestamp - T0 for m in got]
    assert sorted(numbers) == list(range(70))  # each record once
    # Kafka's older records first, then the recorded ones, then the live ones.
    assert set(numbers[:30]) == set(range(30))
    assert set(numbers[30:60]) == set(range(30, 60))
