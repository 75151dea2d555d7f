import logging
import threading

import numpy as np
import pytest
import scipp as sc

from app.data import (
    DEFAULT_MAX_SIZE,
    BufferFactory,
    BufferStats,
    DataService,
    FullHistoryExtractor,
    LatestValueExtractor,
    Retention,
    TimeWindowExtractor,
    WindowExtractor,
)
from app.data import service as service_module
from tests.data.frames import image, scalar, spectrum, stacked


class Recorder:
    """A subscriber that keeps every store it is triggered with."""

    def __init__(self, extractors=None, keys=None):
        self.extractors = dict(extractors or {})
        self.keys = set(keys if keys is not None else self.extractors)
        self.stores = []

    def trigger(self, store):
        self.stores.append(store)


class LatestOnly:
    """A subscriber of the older kind: keys and trigger, no extractors."""

    def __init__(self, keys):
        self.keys = set(keys)
        self.stores = []

    def trigger(self, store):
        self.stores.append(store)


def test_transaction_delivers_every_update_to_window_subscriber_and_latest_to_others():
    service = DataService()
    window = Recorder({"k": WindowExtractor(10)})
    latest = Recorder({"k": LatestValueExtractor()})
    service.register_subscriber(window)
    service.register_subscriber(latest)
    with service.transaction():
        service["k"] = 20
        service["k"] = 30
        service["k"] = 40
    assert window.stores == [{"k": [20, 30, 40]}]
    assert latest.stores == [{"k": 40}]


def test_transaction_delivers_every_data_array_to_window_subscriber():
    service = DataService()
    window = Recorder({"m": WindowExtractor(10)})
    latest = Recorder({"m": LatestValueExtractor()})
    service.register_subscriber(window)
    service.register_subscriber(latest)
    frames = [spectrum(i) for i in (20, 30, 40)]
    with service.transaction():
        for frame in frames:
            service["m"] = frame
    assert len(window.stores) == len(latest.stores) == 1
    assert sc.identical(window.stores[0]["m"], stacked(frames))
    assert sc.identical(latest.stores[0]["m"], frames[-1])


def test_buffer_size_follows_the_most_demanding_subscriber():
    service = DataService()
    service["k"] = scalar(0)
    assert service.buffer_stats()["k"].max_size == 1
    service.register_subscriber(Recorder({"k": WindowExtractor(100)}))
    assert service.buffer_stats()["k"].max_size == 100
    service.register_subscriber(Recorder({"k": WindowExtractor(50)}))
    assert service.buffer_stats()["k"].max_size == 100
    full = Recorder({"k": FullHistoryExtractor()})
    service.register_subscriber(full)
    assert service.buffer_stats()["k"].max_size == DEFAULT_MAX_SIZE
    service.unregister_subscriber(full)
    service["k"] = scalar(1)
    assert service.buffer_stats()["k"].max_size == DEFAULT_MAX_SIZE


def test_a_buffer_created_after_registration_has_the_size_its_subscribers_need():
    service = DataService()
    service.register_subscriber(Recorder({"k": WindowExtractor(30)}))
    service["k"] = 1
    service["other"] = 1
    stats = service.buffer_stats()
    assert stats["k"].max_size == 30
    assert stats["other"].max_size == 1


def test_a_custom_extractor_sizes_the_buffer_without_touching_the_service():
    class EveryOther:
        def retention(self):
            return Retention(frames=6)

        def extract(self, buffer):
            return buffer.get_window(6)[::2]

    service = DataService()
    subscriber = Recorder({"k": EveryOther()})
    service.register_subscriber(subscriber)
    with service.transaction():
        for value in range(10):
            service["k"] = value
    assert subscriber.stores == [{"k": [4, 6, 8]}]


ROUND_TRIP = {
    "int": lambda: 42,
    "str": lambda: "hello",
    "list": lambda: [1, 2, 3],
    "dict": lambda: {"a": 1},
    "numpy": lambda: np.arange(6.0).reshape(2, 3),
    "none": lambda: None,
    "variable": lambda: sc.array(
        dims=["x"], values=[1.0, 2.0], variances=[0.1, 0.2], unit="m"
    ),
    "0-D DataArray": lambda: scalar(7),
    "1-D DataArray": lambda: spectrum(3),
    "2-D DataArray": lambda: image(5),
    "DataArray without coords": lambda: sc.DataArray(sc.arange("x", 4.0, unit="K")),
    "DataArray with an int time coord": lambda: sc.DataArray(
        sc.scalar(3, unit="counts"), coords={"time": sc.scalar(12, unit="s")}
    ),
    "DataArray with the stacking dim": lambda: stacked([scalar(0), scalar(1)]),
    "string DataArray": lambda: sc.DataArray(sc.array(dims=["x"], values=["a", "b"])),
}


def equal(a, b):
    if isinstance(a, sc.DataArray | sc.Variable):
        return sc.identical(a, b)
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


@pytest.mark.parametrize("kind", ROUND_TRIP)
@pytest.mark.parametrize("window", [None, 3])
def test_a_value_set_is_the_value_read(kind, window):
    service = DataService()
    if window is not None:
        service.register_subscriber(Recorder({"k": WindowExtractor(window)}))
    for _ in range(5):
        value = ROUND_TRIP[kind]()
        service["k"] = value
        assert equal(service["k"], value)
    assert service.buffer_stats()["k"].frames == (1 if window is None else 3)


def test_a_list_is_one_frame_not_many():
    service = DataService()
    subscriber = Recorder({"k": WindowExtractor(5)})
    service.register_subscriber(subscriber)
    service["k"] = [1, 2]
    service["k"] = [3]
    assert subscriber.stores[-1] == {"k": [[1, 2], [3]]}


def test_subscriber_without_extractors_gets_latest_values():
    service = DataService()
    subscriber = LatestOnly({"a", "b"})
    service.register_subscriber(subscriber)
    with service.transaction():
        service["a"] = 1
        service["a"] = 2
        service["c"] = 3
    assert subscriber.stores == [{"a": 2}]


def test_plain_callable_gets_the_names_of_updated_keys():
    service = DataService()
    calls = []
    service.register_subscriber(calls.append)
    with service.transaction():
        service["a"] = 1
        service["b"] = 2
        service["a"] = 3
    del service["b"]
    assert calls == [{"a", "b"}, {"b"}]


def test_nested_transactions_notify_once_at_the_outermost_end():
    service = DataService()
    subscriber = Recorder({"k": WindowExtractor(5)})
    service.register_subscriber(subscriber)
    with service.transaction():
        service["k"] = 1
        with service.transaction():
            service["k"] = 2
        assert subscriber.stores == []
        service["k"] = 3
    assert subscriber.stores == [{"k": [1, 2, 3]}]


def test_a_transaction_that_raises_still_notifies_what_was_applied():
    service = DataService()
    subscriber = Recorder({"k": WindowExtractor(5)})
    service.register_subscriber(subscriber)

    def apply_failing_batch():
        with service.transaction():
            service["k"] = 1
            raise RuntimeError("batch broke")

    with pytest.raises(RuntimeError, match="batch broke"):
        apply_failing_batch()
    assert subscriber.stores == [{"k": [1]}]
    assert service["k"] == 1


def test_an_exception_in_one_subscriber_does_not_stop_the_others(caplog):
    class Broken:
        def __init__(self):
            self.keys = {"k"}

        def trigger(self, store):
            raise RuntimeError("plot failed")

    service = DataService()
    before = Recorder({"k": LatestValueExtractor()})
    after = Recorder({"k": LatestValueExtractor()})
    service.register_subscriber(before)
    service.register_subscriber(Broken())
    service.register_subscriber(after)
    with caplog.at_level(logging.ERROR):
        service["k"] = 1
        service["k"] = 2
    assert before.stores == after.stores == [{"k": 1}, {"k": 2}]
    assert service.failed_triggers == 2
    assert "plot failed" in caplog.text
    assert "Broken" in caplog.text  # the log names the subscriber that failed


def test_the_only_subscriber_of_a_key_failing_is_counted_and_named_and_data_flows_on(
    caplog,
):
    class Broken:
        def __init__(self):
            self.keys = {"k"}
            self.calls = 0

        def trigger(self, store):
            self.calls += 1
            raise RuntimeError("plot failed")

    service = DataService()
    broken = Broken()
    service.register_subscriber(broken)
    with caplog.at_level(logging.ERROR):
        service["k"] = 1
        service["k"] = 2
    assert broken.calls == 2
    assert service["k"] == 2
    assert service.failed_triggers == 2
    assert "Broken" in caplog.text
    assert "plot failed" in caplog.text


def test_unregistered_subscriber_is_not_notified():
    service = DataService()
    subscriber = Recorder({"k": LatestValueExtractor()})
    service.register_subscriber(subscriber)
    service["k"] = 1
    assert service.unregister_subscriber(subscriber)
    assert not service.unregister_subscriber(subscriber)
    service["k"] = 2
    assert subscriber.stores == [{"k": 1}]
    assert service.subscriber_count == 0


def test_replay_triggers_a_new_subscriber_with_what_is_held():
    service = DataService()
    service.register_subscriber(Recorder({"k": WindowExtractor(3)}))
    for value in range(5):
        service["k"] = value
    late = Recorder({"k": WindowExtractor(3), "missing": LatestValueExtractor()})
    service.register_subscriber(late, replay=True)
    assert late.stores == [{"k": [2, 3, 4]}]
    silent = Recorder({"k": WindowExtractor(3)})
    service.register_subscriber(silent)
    assert silent.stores == []


def test_replay_extracts_only_the_new_subscribers_keys(monkeypatch):
    service = DataService()
    for number in range(100):
        key = f"log/{number}"
        service.register_subscriber(Recorder({key: LatestValueExtractor()}))
        service[key] = number
    made = []

    class CountedExtraction(service_module.Extraction):
        def __init__(self, extractor, buffer):
            made.append(extractor)
            super().__init__(extractor, buffer)

    monkeypatch.setattr(service_module, "Extraction", CountedExtraction)
    late = Recorder({"log/7": WindowExtractor(2), "log/8": LatestValueExtractor()})
    service.register_subscriber(late, replay=True)
    assert late.stores == [{"log/7": [7], "log/8": 8}]
    assert len(made) == 2


def test_a_value_that_no_longer_fits_starts_a_new_history(caplog):
    service = DataService()
    subscriber = Recorder({"monitor/m1": WindowExtractor(5)})
    service.register_subscriber(subscriber)
    for i in range(3):
        service["monitor/m1"] = spectrum(i)
    other = spectrum(9).rename_dims(tof="wavelength")
    with caplog.at_level(logging.WARNING):
        service["monitor/m1"] = other
    assert (
        "key 'monitor/m1': expected dims ('tof',), got ('wavelength',)" in caplog.text
    )
    assert "dropped 3 frames" in caplog.text
    assert sc.identical(service["monitor/m1"], other)
    assert sc.identical(subscriber.stores[-1]["monitor/m1"], stacked([other]))
    stats = service.buffer_stats()["monitor/m1"]
    assert (stats.restarts, stats.frames, stats.max_size) == (1, 1, 5)


def test_a_value_of_another_type_starts_a_new_history():
    service = DataService()
    service.register_subscriber(Recorder({"k": WindowExtractor(4)}))
    service["k"] = scalar(1)
    service["k"] = "offline"
    service["k"] = scalar(2)
    assert sc.identical(service["k"], scalar(2))
    assert service.buffer_stats()["k"].restarts == 2


def test_restarts_are_counted_and_a_key_that_keeps_restarting_logs_boundedly(caplog):
    service = DataService()
    service.register_subscriber(Recorder({"k": WindowExtractor(4)}))
    with caplog.at_level(logging.WARNING, logger="app.data.service"):
        for i in range(300):
            service["k"] = spectrum(i, bins=3 + i % 2)  # another shape each time
    restarted = [r for r in caplog.records if "new history" in r.getMessage()]
    # The first restart at once, the rest summarised by the next line.
    assert 1 <= len(restarted) <= 2
    assert service.restarts == 299
    assert service.buffer_stats()["k"].restarts == 299


def test_a_registered_storage_that_refuses_a_value_falls_back_to_objects():
    class Unstackable(sc.DataArray):
        pass

    class RefusingStorage:
        def accepts(self, frame):
            return "never"

    factory = BufferFactory()
    factory.register_buffer_impl(Unstackable, RefusingStorage)
    service = DataService(buffer_factory=factory)
    service["k"] = 1
    # The factory falls back to objects when the registered storage refuses.
    service["k"] = Unstackable(sc.scalar(1.0))
    assert isinstance(service["k"], Unstackable)


def test_delete_drops_the_history_and_tells_the_subscribers():
    service = DataService()
    subscriber = Recorder({"k": WindowExtractor(5)})
    service.register_subscriber(subscriber)
    service["k"] = 1
    del service["k"]
    assert "k" not in service
    with pytest.raises(KeyError):
        service["k"]
    service["k"] = 2
    assert subscriber.stores == [{"k": [1]}, {}, {"k": [2]}]
    assert subscriber.stores[1].cleared == {"k"}
    assert subscriber.stores[2].cleared == set()


def test_mapping_interface():
    service = DataService()
    service.update({"a": 1, "b": 2})
    assert sorted(service) == ["a", "b"]
    assert len(service) == 2
    assert dict(service.items()) == {"a": 1, "b": 2}
    assert service.get("missing") is None


def test_buffer_stats_report_frames_sizes_and_bytes():
    service = DataService()
    service.register_subscriber(Recorder({"img": WindowExtractor(4)}))
    for i in range(10):
        service["img"] = image(i)
    stats = service.buffer_stats()["img"]
    assert isinstance(stats, BufferStats)
    assert (stats.frames, stats.max_size, stats.capacity) == (4, 4, 10)
    frame_bytes = image(0).data.values.nbytes
    assert 10 * frame_bytes <= stats.nbytes <= 15 * frame_bytes + 2048
    assert service.memory_bytes() == stats.nbytes


def test_a_subscriber_with_a_bad_extractor_is_refused_naming_the_key():
    service = DataService()
    with pytest.raises(TypeError, match="key 'k'"):
        service.register_subscriber(Recorder({"k": "latest please"}))
    with pytest.raises(TypeError, match="callable"):
        service.register_subscriber(42)


def test_concurrent_transactions_lose_nothing_and_are_never_seen_half_done():
    writers, rounds = 4, 300
    service = DataService()
    torn = []

    class PairChecker:
        def __init__(self):
            self.keys = {f"{side}/{w}" for w in range(writers) for side in "ab"}

        def trigger(self, store):
            for w in range(writers):
                a, b = store.get(f"a/{w}"), store.get(f"b/{w}")
                if (a is None) != (b is None) or a != b:
                    torn.append((w, a, b))

    history = Recorder({f"a/{w}": FullHistoryExtractor() for w in range(writers)})
    service.register_subscriber(PairChecker())
    service.register_subscriber(history)

    def write(w):
        for value in range(rounds):
            with service.transaction():
                service[f"a/{w}"] = value
                service[f"b/{w}"] = value

    def read():
        for _ in range(rounds):
            with service.transaction():
                for w in range(writers):
                    if f"a/{w}" in service and service[f"a/{w}"] != service[f"b/{w}"]:
                        torn.append(("reader", w))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert torn == []
    for w in range(writers):
        assert service.buffer(f"a/{w}").get_all() == list(range(rounds))
    delivered = {}
    for store in history.stores:
        for key, window in store.items():
            delivered.setdefault(key, []).append(window[-1])
    assert all(values == list(range(rounds)) for values in delivered.values())


def test_full_history_keeps_the_newest_frames_through_a_million_updates():
    service = DataService()
    subscriber = Recorder({"log/current": FullHistoryExtractor()})
    service.register_subscriber(subscriber)
    frames = [sc.scalar(float(i), unit="uA") for i in range(1000)]
    for batch in range(100):
        with service.transaction():
            for i in range(10_000):
                service["log/current"] = frames[i % 1000]
        assert service.buffer_stats()["log/current"].capacity <= 25_000
        assert len(subscriber.stores) == batch + 1
    history = subscriber.stores[-1]["log/current"]
    assert history.sizes == {"time": DEFAULT_MAX_SIZE}
    np.testing.assert_array_equal(history.values, np.tile(np.arange(1000.0), 10))


def test_catalog_describes_each_key_and_changes_when_a_history_restarts():
    ds = DataService()
    ds.register_subscriber(Recorder({"temperature": WindowExtractor(3)}))
    with ds.transaction():
        ds["temperature"] = sc.scalar(1.0, unit="K")
        assert "temperature" not in ds.catalog()
    info = ds.catalog()["temperature"]
    assert (info.ndim, info.dims, info.unit, info.restarts) == (0, (), "K", 0)
    before = ds.catalog()
    ds["temperature"] = sc.array(dims=["tof"], values=[1.0, 2.0, 3.0], unit="K")
    info = ds.catalog()["temperature"]
    assert (info.ndim, info.dims, info.shape, info.restarts) == (1, ("tof",), (3,), 1)
    assert before["temperature"].ndim == 0, "a published catalog never changes"
    del ds["temperature"]
    assert "temperature" not in ds.catalog()


def test_watched_retentions_are_the_subscribers_not_the_keepers() -> None:
    ds = DataService()
    ds.keep_for_every_key(lambda key, info: Retention(frames=50))
    ds["watched"] = scalar(1)
    ds["kept only"] = scalar(1)
    ds.register_subscriber(Recorder({"watched": WindowExtractor(7)}))
    ds.register_subscriber(Recorder({"watched": TimeWindowExtractor(30)}))

    assert ds.watched_retentions() == {
        "watched": Retention(frames=7).union(TimeWindowExtractor(30).retention())
    }
