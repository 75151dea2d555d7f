"""Tests of app/ingestion/orchestrator.py against the real DataService."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
import pytest
import scipp as sc

from app.data import (
    AggregatingExtractor,
    DataService,
    LatestValueExtractor,
    TimeWindowExtractor,
    WindowExtractor,
)
from app.ingestion.key_activity import KeyActivity
from app.ingestion.orchestrator import (
    FAILED_TO_APPLY,
    FUTURE_TOLERANCE_S,
    INVALID_KEY,
    NOT_A_MESSAGE,
    STAMPED_IN_THE_FUTURE,
    Orchestrator,
)
from app.sources.codec import Decoder, encode_da00
from app.sources.message import Message, SourceStatus, stamped
from app.sources.reasons import Reason
from app.sources.simulated import SimulatedInstrument


class ListSource:
    """A source that hands out the batches it was given, one per call."""

    def __init__(self, *batches: list[Message]) -> None:
        self._batches = list(batches)
        self.calls = 0

    def get_messages(self) -> list[Message]:
        self.calls += 1
        return self._batches.pop(0) if self._batches else []

    def close(self) -> None:
        self._batches.clear()

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(connected=True, description="list")


class RecordingSubscriber:
    def __init__(self, extractors: dict[str, Any]) -> None:
        self._extractors = extractors
        self.triggers: list[dict[str, Any]] = []

    @property
    def keys(self) -> set[str]:
        return set(self._extractors)

    @property
    def extractors(self) -> dict[str, Any]:
        return self._extractors

    def trigger(self, store: dict[str, Any]) -> None:
        self.triggers.append(dict(store))


def msg(key: Any, value: Any, timestamp: int = 0) -> Message:
    return Message(key=key, value=value, timestamp=timestamp)


# Tests of what one batch holds must not see it cut by time on a busy machine.
UNBOUNDED = 3600.0


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met before the deadline")
        time.sleep(0.005)


def test_batch_reaches_window_subscriber_in_one_trigger_with_every_value() -> None:
    ds = DataService()
    window = RecordingSubscriber({"k": WindowExtractor(10)})
    latest = RecordingSubscriber({"k": LatestValueExtractor()})
    ds.register_subscriber(window)
    ds.register_subscriber(latest)
    orchestrator = Orchestrator(
        ListSource([msg("k", 20), msg("k", 30), msg("k", 40)]),
        ds,
        max_batch_seconds=UNBOUNDED,
    )

    assert orchestrator.update() == 3

    assert window.triggers == [{"k": [20, 30, 40]}]
    assert latest.triggers == [{"k": 40}]
    assert ds["k"] == 40


def test_batch_through_key_activity_counts_each_key_and_fills_the_service() -> None:
    ds = DataService()
    activity = KeyActivity(ds)
    orchestrator = Orchestrator(
        ListSource([msg("k", 1), msg("k", 2), msg("j", 3)]),
        sink=activity,
        max_batch_seconds=UNBOUNDED,
    )

    assert orchestrator.update() == 3

    assert (activity.get("k").count, activity.get("j").count) == (2, 1)
    assert (ds["k"], ds["j"]) == (2, 3)


def test_batch_with_bad_message_still_applies_the_others() -> None:
    ds = DataService()
    window = RecordingSubscriber({"k": WindowExtractor(10)})
    ds.register_subscriber(window)
    batch = [msg("k", 1), msg("", 2), msg(None, 3), msg("k", 4)]
    orchestrator = Orchestrator(ListSource(batch), ds, max_batch_seconds=UNBOUNDED)

    assert orchestrator.update() == 2

    assert window.triggers == [{"k": [1, 4]}]
    stats = orchestrator.stats
    assert stats.applied == 2
    assert dict(stats.rejected) == {INVALID_KEY: 2}
    assert stats.batches == 1
    assert stats.last_batch_size == 4


def test_something_else_than_a_message_is_rejected() -> None:
    ds = DataService()
    batch: list[Any] = [("k", 1), msg("k", 2)]
    orchestrator = Orchestrator(ListSource(batch), ds, max_batch_seconds=UNBOUNDED)

    assert orchestrator.update() == 1

    assert dict(orchestrator.stats.rejected) == {NOT_A_MESSAGE: 1}
    assert ds["k"] == 2


class RefusingSink:
    """A sink that refuses negative values, as any DataSink may refuse a value."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {}
        self.transactions = 0

    def transaction(self) -> AbstractContextManager[None]:
        self.transactions += 1
        return nullcontext()

    def __setitem__(self, key: str, value: Any) -> None:
        if value < 0:
            raise ValueError(f"key {key!r}: negative value {value}")
        self.values.setdefault(key, []).append(value)


def test_value_the_sink_raises_on_is_counted_as_failed_to_apply() -> None:
    sink = RefusingSink()
    orchestrator = Orchestrator(
        ListSource([msg("a", 1), msg("a", -1), msg("b", 2)]),
        sink,
        max_batch_seconds=UNBOUNDED,
    )

    assert orchestrator.update() == 2

    assert sink.values == {"a": [1], "b": [2]}
    assert dict(orchestrator.stats.rejected) == {FAILED_TO_APPLY: 1}
    assert sink.transactions == 1


def test_cap_splits_backlog_over_updates_in_order() -> None:
    ds = DataService()
    window = RecordingSubscriber({"k": WindowExtractor(100)})
    ds.register_subscriber(window)
    source = ListSource([msg("k", i) for i in range(7)], [msg("k", 7)])
    orchestrator = Orchestrator(
        source, ds, max_messages_per_update=3, max_batch_seconds=UNBOUNDED
    )

    applied = [orchestrator.update() for _ in range(4)]

    assert applied == [3, 3, 1, 1]
    assert [t["k"][-1] for t in window.triggers] == [2, 5, 6, 7]
    assert window.triggers[-1]["k"] == list(range(8))
    # The source is only asked again once the backlog is applied.
    assert source.calls == 2
    assert orchestrator.stats.batches == 4
    assert orchestrator.stats.last_batch_size == 1


class TickingSink(RefusingSink):
    """A sink on which applying one message takes `cost_s` of a fake clock."""

    def __init__(self, cost_s: float) -> None:
        super().__init__()
        self.now = 0.0
        self.cost_s = cost_s

    def clock(self) -> float:
        return self.now

    def __setitem__(self, key: str, value: Any) -> None:
        self.now += self.cost_s
        super().__setitem__(key, value)


def test_a_batch_ends_once_applying_took_its_time_budget_and_order_is_kept() -> None:
    sink = TickingSink(cost_s=0.003)
    source = ListSource([msg("k", i) for i in range(10)])
    orchestrator = Orchestrator(source, sink, max_batch_seconds=0.01, clock=sink.clock)

    applied = [orchestrator.update() for _ in range(4)]

    # 0.003 s each: the fourth message passes 0.01 s and ends the batch.
    assert applied == [4, 4, 2, 0]
    assert sink.values == {"k": list(range(10))}
    assert sink.transactions == 3


def test_stats_are_read_without_waiting_for_a_running_batch() -> None:
    started, release = threading.Event(), threading.Event()

    class BlockingSink(RefusingSink):
        def __setitem__(self, key: str, value: Any) -> None:
            started.set()
            release.wait(5)
            super().__setitem__(key, value)

    orchestrator = Orchestrator(ListSource([msg("k", 1)]), BlockingSink())
    worker = threading.Thread(target=orchestrator.update)
    worker.start()
    try:
        assert started.wait(5)
        reader = threading.Thread(target=lambda: orchestrator.stats)
        reader.start()
        reader.join(1.0)
        assert not reader.is_alive(), "reading stats waited for the batch"
    finally:
        release.set()
        worker.join()
    assert orchestrator.stats.applied == 1


def test_update_without_messages_opens_no_transaction() -> None:
    sink = RefusingSink()
    orchestrator = Orchestrator(ListSource(), sink)

    assert orchestrator.update() == 0

    assert sink.transactions == 0
    assert orchestrator.stats.batches == 0


def test_stats_is_a_snapshot() -> None:
    orchestrator = Orchestrator(
        ListSource([msg("k", 1)], [msg("", 2)]),
        DataService(),
        max_batch_seconds=UNBOUNDED,
    )
    before = orchestrator.stats

    orchestrator.update()
    orchestrator.update()

    assert before.applied == 0
    assert dict(before.rejected) == {}
    assert orchestrator.stats.applied == 1
    with pytest.raises(TypeError):
        orchestrator.stats.rejected[INVALID_KEY] = 0  # type: ignore[index]


def test_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_messages_per_update"):
        Orchestrator(ListSource(), DataService(), max_messages_per_update=0)


def test_background_thread_applies_simulated_instrument() -> None:
    ds = DataService()
    source = SimulatedInstrument(seed=1, rate_hz=50.0, streams=["log/motor_x"])
    orchestrator = Orchestrator(source, ds)

    orchestrator.start(period_s=0.01)
    orchestrator.start(period_s=0.01)  # idempotent
    try:
        wait_until(lambda: orchestrator.stats.applied >= 3)
        assert orchestrator.running
    finally:
        orchestrator.stop()
    orchestrator.stop()  # idempotent

    assert not orchestrator.running
    assert "log/motor_x" in ds
    assert ds["log/motor_x"].unit == "mm"


class FailingOnceSource(ListSource):
    def get_messages(self) -> list[Message]:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("source hiccup")
        return [msg("k", self.calls)]


class AlwaysFailingSource(ListSource):
    def get_messages(self) -> list[Message]:
        self.calls += 1
        raise ConnectionError("source down")


def test_a_source_that_keeps_failing_is_logged_at_a_bounded_rate(caplog) -> None:
    source = AlwaysFailingSource()
    orchestrator = Orchestrator(source, DataService())
    with caplog.at_level("ERROR", logger="app.ingestion.orchestrator"):
        orchestrator.start(period_s=0.001)
        try:
            wait_until(lambda: source.calls >= 50)
        finally:
            orchestrator.stop()
    failures = [r for r in caplog.records if "update failed" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].exc_info is not None


def test_rejections_are_counted_under_a_fixed_reason_and_logged_once(caplog) -> None:
    sink = RefusingSink()
    batch = [msg("a", -i) for i in range(1, 1001)] + [
        msg(f"bad{i}", -1) for i in range(3)
    ]
    orchestrator = Orchestrator(ListSource(batch), sink, max_batch_seconds=UNBOUNDED)
    with caplog.at_level("WARNING", logger="app.ingestion.orchestrator"):
        orchestrator.update()
    assert dict(orchestrator.stats.rejected) == {Reason.FAILED_TO_APPLY: 1003}
    assert len(caplog.records) == 1


def test_background_thread_survives_a_failing_source() -> None:
    ds = DataService()
    orchestrator = Orchestrator(FailingOnceSource(), ds)

    before = set(threading.enumerate())
    orchestrator.start(period_s=0.005)
    started = [
        t for t in set(threading.enumerate()) - before if t.name == "orchestrator"
    ]
    try:
        wait_until(lambda: orchestrator.stats.applied >= 1)
    finally:
        orchestrator.stop()

    assert "k" in ds
    assert len(started) == 1
    assert not started[0].is_alive()


def test_simulated_ticks_stack_into_a_window_with_their_times() -> None:
    ds = DataService()
    window = RecordingSubscriber({"monitor/m1": WindowExtractor(3)})
    ds.register_subscriber(window)
    instrument = SimulatedInstrument(seed=3, streams=["monitor/m1"])
    t0 = 1_700_000_000_000_000_000
    ticks = [instrument.tick(t0 + i * 200_000_000) for i in range(3)]
    orchestrator = Orchestrator(
        ListSource([m for tick in ticks for m in tick]), ds, max_batch_seconds=UNBOUNDED
    )

    orchestrator.update()

    (store,) = window.triggers
    stacked = store["monitor/m1"]
    assert stacked.dims == ("time", "tof")
    assert stacked.unit == "counts"
    assert stacked.coords["tof"].unit == "us"
    expected_times = [t0 + i * 200_000_000 for i in range(3)]
    assert list(stacked.coords["time"].values.astype("int64")) == expected_times
    for i, tick in enumerate(ticks):
        assert sc.identical(stacked["time", i].data, tick[0].value.data)


S = 1_000_000_000
YEAR_2100_NS = int(np.datetime64("2100-01-01", "ns").astype(np.int64))


def counts(value: float, timestamp_ns: int) -> sc.DataArray:
    frame = sc.DataArray(sc.array(dims=["tof"], values=[value, 2 * value]))
    return stamped(frame, timestamp_ns)


class WallClock:
    def __init__(self, now_ns: int) -> None:
        self.now_ns = now_ns

    def __call__(self) -> int:
        return self.now_ns


def test_a_frame_far_in_the_future_is_rejected_and_present_ones_keep_moving() -> None:
    ds = DataService()
    window = RecordingSubscriber({"m": TimeWindowExtractor(1.0)})
    summed = RecordingSubscriber({"m": AggregatingExtractor(seconds=1.0, op="sum")})
    ds.register_subscriber(window)
    ds.register_subscriber(summed)
    start = 1_700_000_000 * S
    clock = WallClock(start)
    batches = []
    for second in range(4):  # 5 Hz, one batch a second
        t = [start + second * S + i * S // 5 for i in range(5)]
        batch = [msg("m", counts(float(ti // (S // 5)), ti), ti) for ti in t]
        if second == 1:
            batch.insert(2, msg("m", counts(-1.0, YEAR_2100_NS), YEAR_2100_NS))
        batches.append(batch)
    orchestrator = Orchestrator(
        ListSource(*batches), ds, max_batch_seconds=UNBOUNDED, wall_clock_ns=clock
    )
    for second, batch in enumerate(batches):
        clock.now_ns = start + second * S + S
        orchestrator.update()
        newest = max(m.timestamp for m in batch if m.timestamp < YEAR_2100_NS)
        frames = window.triggers[-1]["m"]
        assert frames.coords["time"].values[-1] == np.datetime64(newest, "ns")
        inside = [
            m.value
            for b in batches[: second + 1]
            for m in b
            if newest - S <= m.timestamp <= newest
        ]
        assert frames.sizes["time"] == len(inside)
        expected = sum(float(frame.values[0]) for frame in inside)
        assert summed.triggers[-1]["m"].values[0] == pytest.approx(expected)
    assert dict(orchestrator.stats.rejected) == {STAMPED_IN_THE_FUTURE: 1}


def test_a_frame_within_the_tolerance_ahead_is_applied_beyond_it_rejected() -> None:
    now = 1_700_000_000 * S
    tolerance = round(FUTURE_TOLERANCE_S * S)
    batch = [
        msg("a", counts(1.0, now + tolerance), now + tolerance),
        msg("b", counts(1.0, now + tolerance + 1), now + tolerance + 1),
    ]
    ds = DataService()
    orchestrator = Orchestrator(ListSource(batch), ds, wall_clock_ns=lambda: now)
    assert orchestrator.update() == 1
    assert "a" in ds
    assert "b" not in ds
    assert dict(orchestrator.stats.rejected) == {"stamped in the future": 1}


def test_a_da00_stamped_in_2100_is_rejected_between_decoded_present_ones() -> None:
    decoder = Decoder()
    now = time.time_ns()
    frame = sc.DataArray(sc.array(dims=["tof"], values=[1.0, 2.0], unit="counts"))
    stamps = [now - 2 * S, now - S, YEAR_2100_NS, now]
    payloads = [encode_da00("monitor", frame, t) for t in stamps]
    ds = DataService()
    window = RecordingSubscriber({"monitor": TimeWindowExtractor(10.0)})
    ds.register_subscriber(window)
    source = ListSource([decoder.decode(payload) for payload in payloads])
    orchestrator = Orchestrator(source, ds, max_batch_seconds=UNBOUNDED)
    assert orchestrator.update() == 3
    times = window.triggers[-1]["monitor"].coords["time"].values
    assert list(times) == [np.datetime64(t, "ns") for t in (now - 2 * S, now - S, now)]
    assert dict(orchestrator.stats.rejected) == {STAMPED_IN_THE_FUTURE: 1}


class NotifyingSource(ListSource):
    """A source that calls back when a message is queued, as KafkaSource does."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._arrived: Callable[[], None] = lambda: None

    def notify_arrivals(self, callback: Callable[[], None]) -> None:
        self._arrived = callback

    def get_messages(self) -> list[Message]:
        with self._lock:
            return super().get_messages()

    def queue(self, message: Message) -> None:
        with self._lock:
            self._batches.append([message])
        self._arrived()


def test_a_message_queued_wakes_the_ingestion_before_its_period_ends() -> None:
    ds = DataService()
    source = NotifyingSource()
    orchestrator = Orchestrator(source, ds)
    orchestrator.start(period_s=UNBOUNDED)
    try:
        wait_until(lambda: source.calls >= 1)  # drained once, now waits an hour
        source.queue(msg("log/motor_x", sc.scalar(1.0, unit="mm")))
        wait_until(lambda: orchestrator.stats.applied == 1, timeout_s=20.0)
        assert orchestrator.wakes >= 1
    finally:
        orchestrator.stop()
    assert not orchestrator.running


def test_the_thread_ticks_every_period_while_nothing_arrives() -> None:
    ticked = threading.Event()
    orchestrator = Orchestrator(ListSource(), DataService(), tick=ticked.set)
    orchestrator.start(period_s=0.01)
    try:
        assert ticked.wait(10)
    finally:
        orchestrator.stop()
