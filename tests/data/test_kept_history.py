"""History kept for every key before any subscriber asks (decision 018)."""

import numpy as np
import scipp as sc

from app.data import DataService, Retention, TimeWindowExtractor, WindowExtractor
from tests.data.frames import T0, scalar, spectrum
from tests.data.subscribers import Recorder


def keep_frames(frames):
    return lambda key, info: Retention(frames=frames)


def test_a_window_subscribed_late_with_replay_sees_what_arrived_before_it():
    service = DataService()
    service.keep_for_every_key(keep_frames(10))
    for i in range(25):
        service["many"] = spectrum(i)
    for i in range(4):
        service["few"] = spectrum(i)
    for key, expected in (("many", 10), ("few", 4)):
        late = Recorder(key, WindowExtractor(10))
        service.register_subscriber(late, replay=True)
        assert late.stores[-1][key].sizes["time"] == expected


def test_what_is_kept_for_every_key_is_asked_once_per_history_by_its_kind():
    asked = []

    def by_kind(key, info):
        asked.append((key, info.ndim))
        return Retention(frames=3 if info.ndim == 0 else 6)

    service = DataService()
    service.keep_for_every_key(by_kind)
    for i in range(8):
        service["k"] = scalar(i)
    for i in range(8):
        service["k"] = spectrum(i)  # a restart: another kind, another history
    assert asked == [("k", 0), ("k", 1)]
    assert service.buffer_stats()["k"].frames == 6


def test_memory_given_back_after_unsubscribing_keeps_what_every_key_keeps():
    service = DataService(max_bytes=60_000)
    service.keep_for_every_key(keep_frames(5))
    wide = Recorder("k", WindowExtractor(50))
    service.register_subscriber(wide)
    for i in range(50):
        service["k"] = spectrum(i, bins=32)
    service.unregister_subscriber(wide)  # 45 of its frames are now surplus
    service.register_subscriber(Recorder("other", WindowExtractor(60)))
    for i in range(60):
        service["other"] = spectrum(i, bins=32)  # needs the surplus
    assert service.buffer_stats()["k"].frames == 5


def test_keys_present_before_keeping_started_grow_to_it():
    service = DataService()
    for i in range(3):
        service["k"] = scalar(i)
    service.keep_for_every_key(keep_frames(4))
    for i in range(3, 9):
        service["k"] = scalar(i)
    assert service.buffer_stats()["k"].frames == 4


def test_a_kept_time_span_covers_a_time_window_subscribed_late():
    service = DataService()
    service.keep_for_every_key(lambda key, info: Retention(seconds=2.0))
    for i in range(50):  # 10 Hz for 5 s
        frame = sc.DataArray(
            sc.scalar(float(i), unit="K"),
            coords={"time": sc.scalar(np.datetime64(T0 + i * 100_000_000, "ns"))},
        )
        service["log"] = frame
    late = Recorder("log", TimeWindowExtractor(2.0))
    service.register_subscriber(late, replay=True)
    assert late.stores[-1]["log"].sizes["time"] == 21


def test_the_memory_budget_bounds_what_every_key_keeps():
    service = DataService(max_bytes=100_000)
    service.keep_for_every_key(keep_frames(1000))
    for i in range(300):
        service["k"] = spectrum(i, bins=64)
        assert service.memory_bytes() <= 100_000
    assert service.buffer_stats()["k"].truncated
