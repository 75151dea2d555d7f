"""The DataService against a plain reference model: every value set, per key."""

from contextlib import ExitStack

import hypothesis.strategies as st
import numpy as np
import scipp as sc
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from app.data import (
    AggregatingExtractor,
    BufferFactory,
    DataService,
    FrameReferences,
    FullHistoryExtractor,
    LatestValueExtractor,
    TimeWindowExtractor,
    WindowExtractor,
)
from tests.data.frames import T0, scalar, stacked

KEYS = ["a", "b"]
EXTRACTORS = st.one_of(
    st.just(LatestValueExtractor()),
    st.builds(WindowExtractor, st.integers(1, 4)),
    st.just(FullHistoryExtractor()),
)


class Recorder:
    def __init__(self, extractors):
        self.extractors = extractors
        self.keys = set(extractors)
        self.stores = []

    def trigger(self, store):
        self.stores.append(store)


class ReferenceModel:
    """What a DataService must hold and deliver, computed the plain way."""

    def __init__(self):
        self.values: dict[str, list] = {}
        self.max_size: dict[str, int] = {}
        self.subscribers: list[Recorder] = []
        self.expected: dict[int, list] = {}
        self.pending: dict[str, None] = {}

    def required(self, key):
        return max(
            [
                s.extractors[key].retention().frames
                for s in self.subscribers
                if key in s.keys
            ],
            default=1,
        )

    def set(self, key, value, fits):
        if key not in self.values:
            self.max_size[key] = self.required(key)
            self.values[key] = [value]
        elif not fits(self.values[key][-1], value):
            self.values[key] = [value]
        else:
            self.values[key] = [*self.values[key], value][-self.max_size[key] :]
        self.pending[key] = None

    def delete(self, key):
        del self.values[key]
        del self.max_size[key]
        self.pending[key] = None

    def register(self, subscriber, replay):
        self.subscribers.append(subscriber)
        self.expected[id(subscriber)] = []
        for key in subscriber.keys & set(self.values):
            grown = max(self.max_size[key], self.required(key))
            if grown > 1 and self.max_size[key] == 1:
                self.values[key] = self.values[key][-1:]
            self.max_size[key] = grown
        if replay:
            self.deliver(subscriber, dict.fromkeys(self.values))

    def unregister(self, subscriber):
        self.subscribers.remove(subscriber)

    def notify(self):
        updated, self.pending = self.pending, {}
        for subscriber in self.subscribers:
            self.deliver(subscriber, updated)

    def deliver(self, subscriber, updated):
        store, cleared = {}, set()
        for key in updated:
            if key in subscriber.keys and key in self.values:
                store[key] = self.extract(subscriber.extractors[key], self.values[key])
            elif key in subscriber.keys:
                cleared.add(key)
        if store or cleared:
            self.expected[id(subscriber)].append((store, cleared))

    @staticmethod
    def extract(extractor, values):
        if isinstance(extractor, LatestValueExtractor):
            return values[-1]
        if isinstance(extractor, WindowExtractor):
            return values[-extractor.window_size :]
        return list(values)


class ServiceMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.service = DataService()
        self.model = ReferenceModel()
        self.transactions = ExitStack()
        self.depth = 0

    @staticmethod
    def fits(old, new):
        return type(old) is type(new)

    def same(self, got, expected):
        return got == expected

    @rule(key=st.sampled_from(KEYS), value=st.integers(0, 100) | st.just("offline"))
    def set_value(self, key, value):
        self.service[key] = value
        self.model.set(key, value, self.fits)
        self.notify_if_outside_transaction()

    @precondition(lambda self: self.model.values)
    @rule(data=st.data())
    def delete(self, data):
        key = data.draw(st.sampled_from(sorted(self.model.values)))
        del self.service[key]
        self.model.delete(key)
        self.notify_if_outside_transaction()

    @rule()
    def open_transaction(self):
        self.transactions.enter_context(self.service.transaction())
        self.depth += 1

    @precondition(lambda self: self.depth > 0)
    @rule()
    def close_transaction(self):
        self.transactions.close()
        self.depth = 0
        self.model.notify()

    @precondition(lambda self: self.depth == 0)
    @rule(
        extractors=st.dictionaries(st.sampled_from(KEYS), EXTRACTORS, min_size=1),
        replay=st.booleans(),
    )
    def register(self, extractors, replay):
        subscriber = Recorder(extractors)
        self.service.register_subscriber(subscriber, replay=replay)
        self.model.register(subscriber, replay)

    @precondition(lambda self: self.depth == 0 and self.model.subscribers)
    @rule(data=st.data())
    def unregister(self, data):
        subscriber = data.draw(st.sampled_from(self.model.subscribers))
        self.service.unregister_subscriber(subscriber)
        self.model.unregister(subscriber)

    def notify_if_outside_transaction(self):
        if self.depth == 0:
            self.model.notify()

    @invariant()
    def subscribers_received_what_the_model_says(self):
        for subscriber in self.model.subscribers:
            expected = self.model.expected[id(subscriber)]
            assert len(subscriber.stores) == len(expected)
            for got, (want, cleared) in zip(subscriber.stores, expected, strict=True):
                assert got.keys() == want.keys()
                assert got.cleared == cleared
                for key in got:
                    assert self.same(got[key], want[key]), (key, got[key], want[key])

    @invariant()
    def latest_values_are_the_models(self):
        if self.depth:
            return
        assert sorted(self.service) == sorted(self.model.values)
        for key, values in self.model.values.items():
            assert self.same(self.service[key], values[-1])
            assert self.service.buffer_stats()[key].frames == len(values)

    def teardown(self):
        self.transactions.close()


class DataArrayServiceMachine(ServiceMachine):
    """The same, with 0-D DataArrays; a change of unit restarts a history."""

    @rule(
        key=st.sampled_from(KEYS),
        value=st.builds(
            lambda i, unit: scalar(i, unit=unit),
            st.integers(0, 100),
            st.sampled_from(["K", "mK"]),
        ),
    )
    def set_value(self, key, value):
        super().set_value(key, value)

    @staticmethod
    def fits(old, new):
        return old.unit == new.unit

    def same(self, got, expected):
        if isinstance(expected, list):
            return sc.identical(got, stacked(expected))
        return sc.identical(got, expected)


SETTINGS = settings(
    max_examples=80,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestServiceAgainstModelWithInts = ServiceMachine.TestCase
TestServiceAgainstModelWithInts.settings = SETTINGS
TestServiceAgainstModelWithDataArrays = DataArrayServiceMachine.TestCase
TestServiceAgainstModelWithDataArrays.settings = SETTINGS


# Time windows, aggregations, deletes, clear_history, None, writes from inside
# notifications and the memory budget, against a model that keeps every frame.

NS = 1_000_000_000
WRITER_SOURCE, WRITER_TARGET = "a", "b"


def frame_at(value, second, unit="K"):
    """A 0-D frame with its time `second` seconds after T0 (order not implied)."""
    return sc.DataArray(
        sc.scalar(float(value), variance=0.5, unit=unit),
        coords={"time": sc.scalar(np.datetime64(T0 + second * NS, "ns"))},
    )


def time_of(frame):
    return int(frame.coords["time"].value.astype("datetime64[ns]").astype(np.int64))


def derived(frame):
    """What the writing subscriber sets on `b` for a frame on `a`."""
    return frame_at(frame.value + 1000, (time_of(frame) - T0) // NS, str(frame.unit))


class Writer:
    """Sets `b` from inside its notification of `a`, as a derived-value plotter."""

    def __init__(self, service):
        self.service = service
        self.keys = {WRITER_SOURCE}
        self.extractors = {WRITER_SOURCE: LatestValueExtractor()}
        self.stores = []

    def trigger(self, store):
        self.stores.append(store)
        latest = store.get(WRITER_SOURCE)
        if isinstance(latest, sc.DataArray):
            self.service[WRITER_TARGET] = derived(latest)


TIMED_EXTRACTORS = st.one_of(
    st.just(LatestValueExtractor()),
    st.builds(WindowExtractor, st.integers(1, 4)),
    st.just(FullHistoryExtractor()),
    st.builds(TimeWindowExtractor, st.sampled_from([0.5, 2.0, 5.0])),
    st.builds(
        AggregatingExtractor,
        frames=st.integers(1, 4),
        op=st.sampled_from(["sum", "mean", "max", "auto"]),
    ),
    st.builds(
        lambda seconds, op: AggregatingExtractor(seconds=seconds, op=op),
        st.sampled_from([0.5, 2.0, 5.0]),
        st.sampled_from(["sum", "mean"]),
    ),
)


def expected_view(extractor, frames):
    """What `extractor` shows of a history holding `frames`, the plain way."""
    if isinstance(extractor, LatestValueExtractor):
        return frames[-1]
    if isinstance(extractor, WindowExtractor):
        return frames[-extractor.window_size :]
    if isinstance(extractor, FullHistoryExtractor):
        return list(frames)
    if isinstance(extractor, AggregatingExtractor) and extractor.frames is not None:
        return frames[-extractor.frames :]
    # By time, for a time window and an aggregation alike: t >= t_newest - span.
    times = [time_of(frame) for frame in frames]
    cutoff = max(times) - round(extractor.seconds * NS)
    return [f for f, t in zip(frames, times, strict=True) if t >= cutoff]


def aggregate(extractor, window):
    op = extractor.op
    if op == "auto":
        op = "sum" if window[0].unit == sc.Unit("counts") else "mean"
    return getattr(sc, op)(stacked(window), "time")


class TimedServiceMachine(RuleBasedStateMachine):
    """Subscribers are registered first, so every history keeps what they need."""

    max_bytes = None
    # Frames from this size on are kept by reference where subscribers allow.
    reference_min_bytes = None

    def __init__(self):
        super().__init__()
        kwargs = {} if self.max_bytes is None else {"max_bytes": self.max_bytes}
        if self.reference_min_bytes is not None:
            kwargs["buffer_factory"] = BufferFactory(
                reference_min_bytes=self.reference_min_bytes
            )
        self.service = DataService(**kwargs)
        self.histories: dict[str, list] = {}
        self.subscribers: list = []
        self.expected: dict[int, list] = {}
        self.pending: dict[str, None] = {}
        self.transactions = ExitStack()
        self.depth = 0

    @initialize(
        subscriptions=st.lists(
            st.dictionaries(st.sampled_from(KEYS), TIMED_EXTRACTORS, min_size=1),
            min_size=1,
            max_size=3,
        ),
        writer_at=st.integers(0, 3),
    )
    def subscribe(self, subscriptions, writer_at):
        subscribers = [Recorder(extractors) for extractors in subscriptions]
        subscribers.insert(min(writer_at, len(subscribers)), Writer(self.service))
        for subscriber in subscribers:
            self.service.register_subscriber(subscriber)
            self.subscribers.append(subscriber)
            self.expected[id(subscriber)] = []

    # The model -----------------------------------------------------------------
    def model_set(self, key, value):
        history = self.histories.get(key)
        if history and self.fits(history[-1], value):
            history.append(value)
        else:
            self.histories[key] = [value]
        self.pending[key] = None

    @staticmethod
    def fits(old, new):
        if not isinstance(old, sc.DataArray) or not isinstance(new, sc.DataArray):
            return type(old) is type(new)
        return old.unit == new.unit

    def model_notify(self):
        for _ in range(100):
            if not self.pending:
                return
            updated, self.pending = self.pending, {}
            # Extractions see the histories as they were when the round began.
            held = {key: list(frames) for key, frames in self.histories.items()}
            for subscriber in self.subscribers:
                self.model_deliver(subscriber, updated, held)
                latest = held.get(WRITER_SOURCE)
                if (
                    isinstance(subscriber, Writer)
                    and WRITER_SOURCE in updated
                    and latest
                    and isinstance(latest[-1], sc.DataArray)
                ):
                    self.model_set(WRITER_TARGET, derived(latest[-1]))

    def model_deliver(self, subscriber, updated, held):
        keys = [key for key in updated if key in subscriber.keys]
        views = {key: held[key] for key in keys if held.get(key)}
        cleared = {key for key in keys if not held.get(key)}
        if views or cleared:
            self.expected[id(subscriber)].append((views, cleared))

    def notify_if_outside_transaction(self):
        if self.depth == 0:
            self.model_notify()

    # Rules -----------------------------------------------------------------------
    @rule(
        key=st.sampled_from(KEYS),
        value=st.integers(0, 100),
        second=st.integers(0, 12),
        unit=st.sampled_from(["K", "K", "K", "mK"]),
    )
    def set_frame(self, key, value, second, unit):
        frame = frame_at(value, second, unit)
        self.service[key] = frame
        self.model_set(key, frame)
        self.notify_if_outside_transaction()

    @rule(key=st.sampled_from(KEYS))
    def set_none(self, key):
        self.service[key] = None
        self.model_set(key, None)
        self.notify_if_outside_transaction()

    @precondition(lambda self: self.histories)
    @rule(data=st.data())
    def delete(self, data):
        key = data.draw(st.sampled_from(sorted(self.histories)))
        del self.service[key]
        del self.histories[key]
        self.pending[key] = None
        self.notify_if_outside_transaction()

    @precondition(lambda self: self.histories)
    @rule(data=st.data())
    def clear_history(self, data):
        key = data.draw(st.sampled_from(sorted(self.histories)))
        self.service.clear_history(key)
        self.histories[key] = []
        self.pending[key] = None
        self.notify_if_outside_transaction()

    @rule()
    def open_transaction(self):
        self.transactions.enter_context(self.service.transaction())
        self.depth += 1

    @precondition(lambda self: self.depth > 0)
    @rule()
    def close_transaction(self):
        self.transactions.close()
        self.depth = 0
        self.model_notify()

    # Checks ----------------------------------------------------------------------
    def check_view(self, store, key, extractor, frames):
        if not isinstance(frames[-1], sc.DataArray):
            # A history of None: only views that need no time or arithmetic.
            if isinstance(extractor, LatestValueExtractor | WindowExtractor):
                assert store[key] == expected_view(extractor, frames)
            return
        want = expected_view(extractor, frames)
        got = store[key]
        if isinstance(extractor, AggregatingExtractor):
            expected = aggregate(extractor, want)
            assert sc.allclose(got.data, expected.data), (got, expected)
            assert got.coords["start_time"].value == min(
                f.coords["time"].value for f in want
            )
            assert got.coords["end_time"].value == max(
                f.coords["time"].value for f in want
            )
        elif isinstance(want, list):
            self.check_window(store, key, got, want)
        else:
            assert sc.identical(got, want)

    def check_window(self, store, key, got, want):
        assert sc.identical(got, stacked(want)), (got, want)

    @invariant()
    def subscribers_received_what_the_model_says(self):
        for subscriber in self.subscribers:
            expected = self.expected[id(subscriber)]
            assert len(subscriber.stores) == len(expected)
            for got, (views, cleared) in zip(subscriber.stores, expected, strict=True):
                assert set(got) == set(views)
                assert got.cleared == cleared
                for key, frames in views.items():
                    self.check_view(got, key, subscriber.extractors[key], frames)

    @invariant()
    def latest_values_are_the_models(self):
        if self.depth:
            return
        assert sorted(self.service) == sorted(k for k, v in self.histories.items() if v)
        for key, frames in self.histories.items():
            if frames:
                got = self.service[key]
                assert (
                    got is None if frames[-1] is None else sc.identical(got, frames[-1])
                )

    def teardown(self):
        self.transactions.close()


BUDGET = 2_000
"""Bytes for all buffers: a few dozen 0-D frames, fewer than a full history."""


class BudgetServiceMachine(TimedServiceMachine):
    """The same under a small memory budget: windows may be cut, and say so."""

    max_bytes = BUDGET

    def check_window(self, store, key, got, want):
        # What is delivered is the newest part of the truth, flagged when cut.
        kept = got.sizes["time"]
        assert 1 <= kept <= len(want)
        assert sc.identical(got, stacked(want[-kept:])), (got, want)
        if kept < len(want):
            assert key in store.truncated

    def check_view(self, store, key, extractor, frames):
        if isinstance(extractor, AggregatingExtractor | TimeWindowExtractor) and (
            key in store.truncated
        ):
            return  # cut by the budget: checked through the windows
        super().check_view(store, key, extractor, frames)

    @invariant()
    def the_budget_is_never_exceeded(self):
        assert self.service.memory_bytes() <= BUDGET


class ReferencesServiceMachine(TimedServiceMachine):
    """The same with every frame kept by reference where its subscribers read
    frames one at a time (in production only large frames are)."""

    reference_min_bytes = 0

    @invariant()
    def frames_are_kept_by_reference_exactly_for_running_sums(self):
        for key in self.service:
            if not isinstance(self.service[key], sc.DataArray):
                continue  # `None` moved the key to a history of objects
            extractors = [
                subscriber.extractors[key]
                for subscriber in self.subscribers
                if key in subscriber.keys
            ]
            sums = [
                isinstance(e, AggregatingExtractor) and e.op in ("sum", "mean", "auto")
                for e in extractors
            ]
            # The latest frame alone (a window of one) needs no stack either.
            one_at_a_time = any(sums) and all(
                is_sum or e in (LatestValueExtractor(), WindowExtractor(1))
                for e, is_sum in zip(extractors, sums, strict=True)
            )
            kept = self.service.buffer(key).impl
            assert isinstance(kept, FrameReferences) == one_at_a_time, (key, kept)


TIMED_SETTINGS = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestTimedServiceAgainstModel = TimedServiceMachine.TestCase
TestTimedServiceAgainstModel.settings = TIMED_SETTINGS
TestServiceUnderABudgetAgainstModel = BudgetServiceMachine.TestCase
TestServiceUnderABudgetAgainstModel.settings = TIMED_SETTINGS
TestServiceKeepingReferencesAgainstModel = ReferencesServiceMachine.TestCase
TestServiceKeepingReferencesAgainstModel.settings = TIMED_SETTINGS
