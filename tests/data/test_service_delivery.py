"""DataService delivery: lazy stores, deletion and clearing, None, re-entrant writes."""

import threading

import numpy as np
import pytest
import scipp as sc

from app.data import (
    DataService,
    LatestValueExtractor,
    Retention,
    WindowExtractor,
)
from tests.data.frames import image, scalar, spectrum, stacked


class Recorder:
    def __init__(self, extractors=None, keys=None, on=None):
        self.extractors = dict(extractors or {})
        self.keys = set(keys if keys is not None else self.extractors)
        self.stores = []
        self.on = on

    def trigger(self, store):
        self.stores.append(store)
        if self.on is not None:
            self.on(store)


class CountingWindow:
    """A window extractor that counts its extractions."""

    def __init__(self, size):
        self.size = size
        self.calls = 0

    def retention(self):
        return Retention(frames=self.size)

    def extract(self, buffer):
        self.calls += 1
        return buffer.get_window(self.size)

    def __eq__(self, other):
        return isinstance(other, CountingWindow) and other.size == self.size

    def __hash__(self):
        return hash(self.size)


def test_notifying_a_subscriber_does_not_extract_its_view():
    service = DataService()
    extractor = CountingWindow(10)
    subscriber = Recorder({"k": extractor})
    service.register_subscriber(subscriber)
    for i in range(5):
        service["k"] = scalar(i)
    assert len(subscriber.stores) == 5
    assert extractor.calls == 0
    assert "k" in subscriber.stores[0]
    assert list(subscriber.stores[0]) == ["k"]
    assert extractor.calls == 0


def test_equal_extractors_share_one_extraction_per_transaction():
    service = DataService()
    first, second = CountingWindow(4), CountingWindow(4)
    a, b = Recorder({"k": first}), Recorder({"k": second})
    service.register_subscriber(a)
    service.register_subscriber(b)
    service["k"] = scalar(1)
    assert a.stores[0]["k"] is b.stores[0]["k"]
    assert first.calls + second.calls == 1


def test_a_store_read_after_later_appends_gives_what_notification_time_held():
    service = DataService()
    window, latest = Recorder({"m": WindowExtractor(3)}), Recorder({"m": None})
    latest.extractors = {}
    service.register_subscriber(window)
    service.register_subscriber(latest)
    frames = [spectrum(i) for i in range(40)]
    for frame in frames:
        service["m"] = frame  # storage moves to fresh memory several times
    for i, (w, lt) in enumerate(zip(window.stores, latest.stores, strict=True)):
        assert sc.identical(w["m"], stacked(frames[max(0, i - 2) : i + 1]))
        assert sc.identical(lt["m"], frames[i])


def test_a_store_read_from_another_thread_extracts_once():
    service = DataService()
    extractor = CountingWindow(5)
    subscriber = Recorder({"k": extractor})
    service.register_subscriber(subscriber)
    service["k"] = image(0)
    store = subscriber.stores[0]
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(store["k"])) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert extractor.calls == 1
    assert all(result is results[0] for result in results)


def test_clear_history_keeps_the_key_and_tells_its_subscribers():
    service = DataService()
    subscriber = Recorder({"k": WindowExtractor(5)})
    service.register_subscriber(subscriber)
    service["k"] = scalar(1)
    service["k"] = scalar(2)
    service.clear_history("k")
    store = subscriber.stores[-1]
    assert dict(store) == {}
    assert store.cleared == {"k"}
    assert "k" not in service
    assert list(service) == []
    with pytest.raises(KeyError):
        service["k"]
    assert "k" in service.catalog()
    stats = service.buffer_stats()["k"]
    assert (stats.frames, stats.max_size) == (0, 5)
    service["k"] = scalar(3)
    assert sc.identical(subscriber.stores[-1]["k"], stacked([scalar(3)]))
    assert subscriber.stores[-1].cleared == set()
    with pytest.raises(KeyError):
        service.clear_history("never set")


def test_none_is_a_value_and_an_empty_buffer_is_not():
    service = DataService()
    subscriber = Recorder({"k": LatestValueExtractor()})
    service.register_subscriber(subscriber)
    service["k"] = None
    assert subscriber.stores[-1] == {"k": None}
    assert "k" in subscriber.stores[-1]
    assert "k" in service
    assert service["k"] is None
    service.clear_history("k")
    assert "k" not in subscriber.stores[-1]
    assert subscriber.stores[-1].cleared == {"k"}


def register_clamp(service):
    """A subscriber that sets `x` to 10 while notified of a larger value."""

    def clamp(store):
        if store["x"] > 10:
            service["x"] = 10

    service.register_subscriber(Recorder({"x": LatestValueExtractor()}, on=clamp))


def test_a_write_from_inside_a_notification_reaches_every_subscriber_last():
    service = DataService()
    register_clamp(service)
    view = Recorder({"x": LatestValueExtractor()})
    service.register_subscriber(view)
    service["x"] = 20
    assert service["x"] == 10
    assert view.stores == [{"x": 20}, {"x": 10}]


def test_a_write_from_inside_a_notification_is_not_in_the_stores_of_that_round():
    # Each store shows the key as it was when the round began, whichever
    # extractor it uses and however late it is read.
    service = DataService()
    register_clamp(service)
    window = Recorder({"x": WindowExtractor(5)})
    service.register_subscriber(window)
    service["x"] = 20
    assert [store["x"] for store in window.stores] == [[20], [20, 10]]


def test_a_latest_only_key_that_changes_layout_restarts_and_updates_the_catalog():
    service = DataService()
    service["detector"] = image(0)
    service["detector"] = image(1)
    assert service.buffer_stats()["detector"].restarts == 0
    service["detector"] = spectrum(0)
    assert service.buffer_stats()["detector"].restarts == 1
    assert service.catalog()["detector"].ndim == 1
    assert sc.identical(service["detector"], spectrum(0))


def test_a_latest_only_key_whose_coords_change_keeps_its_history():
    service = DataService()
    service["detector"] = image(0)
    moved = image(1)
    moved.coords["x"] = moved.coords["x"] + sc.scalar(5.0, unit="mm")
    del moved.masks["edge"]
    service["detector"] = moved
    assert service.buffer_stats()["detector"].restarts == 0
    assert sc.identical(service["detector"], moved)


def test_a_latest_only_key_whose_unit_or_dtype_changes_restarts():
    service = DataService()
    service["detector"] = image(0)
    in_other_unit = image(1)
    in_other_unit.unit = "us"
    service["detector"] = in_other_unit
    as_floats = image(2)
    as_floats.data = as_floats.data.to(dtype="float64")
    service["detector"] = as_floats
    assert service.buffer_stats()["detector"].restarts == 2
    assert service.catalog()["detector"].unit == "counts"
    assert service.catalog()["detector"].dtype == "float64"
    assert sc.identical(service["detector"], as_floats)


def test_window_subscriber_after_coords_changed_stacks_the_latest_frame():
    service = DataService()
    service["detector"] = image(0)
    moved = image(1)
    moved.coords["x"] = moved.coords["x"] + sc.scalar(5.0, unit="mm")
    service["detector"] = moved
    subscriber = Recorder({"detector": WindowExtractor(3)})
    service.register_subscriber(subscriber)
    service["detector"] = moved
    window = subscriber.stores[-1]["detector"]
    assert sc.identical(window.coords["x"], moved.coords["x"])
    assert window.sizes["time"] == 2
    assert service.buffer_stats()["detector"].restarts == 0
    assert type(service.buffer("detector").impl).__name__ == "DataArrayBuffer"


def test_binned_data_is_kept_and_a_window_subscriber_registers_cleanly():
    service = DataService()
    binned = sc.data.binned_x(100, 10)
    service["events"] = binned
    subscriber = Recorder({"events": WindowExtractor(3)})
    service.register_subscriber(subscriber, replay=True)
    assert service.subscriber_count == 1
    assert sc.identical(service["events"], binned)
    service["events"] = sc.data.binned_x(50, 10)
    assert len(subscriber.stores[-1]["events"]) == 2


def test_registration_that_fails_leaves_no_subscriber_behind():
    class Broken:
        def retention(self):
            raise RuntimeError("no retention")

        def extract(self, buffer):
            return None

    service = DataService()
    service["k"] = 1
    subscriber = Recorder({"k": Broken()})
    with pytest.raises(RuntimeError, match="no retention"):
        service.register_subscriber(subscriber)
    assert service.subscriber_count == 0
    service["k"] = 2
    assert subscriber.stores == []
    assert service["k"] == 2
    assert service.unregister_subscriber(subscriber) is False


def test_keys_may_be_any_hashable_and_unhashable_keys_are_refused_by_name():
    service = DataService()
    subscriber = Recorder({("detector", 0): WindowExtractor(2), 7: None})
    subscriber.extractors.pop(7)
    service.register_subscriber(subscriber)
    service[("detector", 0)] = 1
    service[7] = 2
    assert subscriber.stores == [{("detector", 0): [1]}, {7: 2}]
    with pytest.raises(TypeError, match=r"key \['a'\]: a key must be hashable"):
        service[["a"]] = 1
    unhashable = Recorder()
    unhashable.keys = [{"b": 1}]
    with pytest.raises(TypeError, match=r"key \{'b': 1\}"):
        service.register_subscriber(unhashable)
    assert service.subscriber_count == 1


def test_notification_triggers_only_subscribers_of_updated_keys():
    service = DataService()
    others = [Recorder({f"k{i}": LatestValueExtractor()}) for i in range(50)]
    for other in others:
        service.register_subscriber(other)
    service["k7"] = 1
    assert [len(o.stores) for o in others] == [int(i == 7) for i in range(50)]


def test_monitoring_reads_never_wait_for_a_transaction():
    service = DataService()
    service["k"] = np.zeros(3)
    inside, release = threading.Event(), threading.Event()

    def long_batch():
        with service.transaction():
            service["k"] = np.ones(3)
            inside.set()
            release.wait(30)

    ingestion = threading.Thread(target=long_batch)
    ingestion.start()
    assert inside.wait(30)
    done = threading.Event()
    figures = []

    def read():
        figures.append(
            (
                service.catalog(),
                service.memory_bytes(),
                service.memory_stats(),
                service.subscriber_count,
                service.buffer_stats(),
                len(service),
                "k" in service,
            )
        )
        done.set()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert done.wait(10), "a monitoring read waited for the transaction"
    finally:
        release.set()
        ingestion.join(30)
        reader.join(30)
    assert figures[0][4]["k"].frames == 1
