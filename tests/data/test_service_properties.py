"""The DataService against a plain reference model: every value set, per key."""

from contextlib import ExitStack

import hypothesis.strategies as st
import scipp as sc
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from app.data import (
    DataService,
    FullHistoryExtractor,
    LatestValueExtractor,
    WindowExtractor,
)

from .frames import scalar, stacked

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
