"""Tests of app/sources/produce.py: its output, consumed through the mock cluster."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable

import pytest
import scipp as sc

from app.sources.kafka import KafkaSource
from app.sources.produce import DATA_TOPIC, LOG_TOPIC, encode, parse_args
from app.sources.simulated import ALL_STREAMS, LOG_UNITS, SimulatedInstrument
from app.testing.mock_cluster import MockKafkaCluster
from tests.waiting import poll_until

pytestmark = pytest.mark.kafka

TICKS = 3
SEED = 11


def test_producer_command_output_is_consumed_as_the_instrument_emitted_it(
    cluster: MockKafkaCluster, make_source: Callable[..., KafkaSource]
) -> None:
    source = make_source(topics=[DATA_TOPIC, LOG_TOPIC], log_units=LOG_UNITS)
    command = [
        sys.executable,
        "-m",
        "app.sources.produce",
        "--bootstrap",
        cluster.bootstrap_servers,
        "--ticks",
        str(TICKS),
        "--rate-hz",
        "50",
        "--seed",
        str(SEED),
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert f"published {TICKS} ticks, {TICKS * len(ALL_STREAMS)} records" in (
        finished.stderr
    )

    received = defaultdict(list)

    def all_received() -> bool:
        for message in source.get_messages():
            received[message.key].append(message)
        return sum(map(len, received.values())) == TICKS * len(ALL_STREAMS)

    poll_until(all_received)

    # The same seed at the same tick times must give the same values.
    timestamps = sorted({m.timestamp for ms in received.values() for m in ms})
    assert len(timestamps) == TICKS
    replica = SimulatedInstrument(seed=SEED)
    expected = defaultdict(list)
    for timestamp in timestamps:
        for message in replica.tick(timestamp):
            expected[message.key].append(message.value)
    assert set(received) == set(ALL_STREAMS)
    for key, messages in received.items():
        assert [m.timestamp for m in messages] == timestamps, key
        for message, value in zip(messages, expected[key], strict=True):
            decoded = message.value
            assert decoded.dims == value.dims, key
            assert decoded.unit == value.unit, key
            assert sc.identical(decoded.coords["time"], value.coords["time"])
            for name, coord in value.coords.items():
                assert sc.identical(decoded.coords[name], coord), (key, name)
            assert sc.identical(sc.values(decoded.data), sc.values(value.data)), key
            if value.variances is not None:
                # errors travel as standard deviations
                assert sc.allclose(sc.variances(decoded.data), sc.variances(value.data))
    assert dict(source.stats.skipped) == {}


def test_logs_go_out_as_f144_and_arrays_as_da00() -> None:
    messages = SimulatedInstrument(seed=0).tick(1_700_000_000_000_000_000)
    families = {message.key: encode(message) for message in messages}
    for key, (family, payload) in families.items():
        assert (family, payload[4:8]) == (
            ("log", b"f144") if key.startswith("log/") else ("data", b"da00")
        ), key


def test_producer_command_needs_a_bootstrap_address() -> None:
    with pytest.raises(SystemExit):
        parse_args([])
    args = parse_args(["--bootstrap", "127.0.0.1:9092", "--streams", "monitor/m1"])
    assert (args.data_topic, args.log_topic, args.streams) == (
        DATA_TOPIC,
        LOG_TOPIC,
        ["monitor/m1"],
    )
