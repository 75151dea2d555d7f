import logging

import numpy as np
import scipp as sc

from app.data import (
    BufferFactory,
    DataArrayBuffer,
    DataService,
    FullHistoryExtractor,
    TimeWindowExtractor,
    WindowExtractor,
)
from tests.data.frames import T0
from tests.data.subscribers import Recorder

MB = 1_000_000


def image(i, size=128):
    return sc.DataArray(
        sc.array(
            dims=["y", "x"], values=np.full((size, size), float(i)), unit="counts"
        ),
        coords={"time": sc.scalar(np.datetime64(T0 + i, "ns"))},
    )


def test_full_history_of_images_never_passes_the_budget(caplog):
    budget = 20 * MB  # about 150 images of 128x128 float64
    service = DataService(max_bytes=budget)
    subscriber = Recorder("detector", FullHistoryExtractor())
    service.register_subscriber(subscriber)
    frames = [image(i) for i in range(50)]
    for i in range(600):
        service["detector"] = frames[i % 50]
        assert service.memory_bytes() <= budget
    stats = service.buffer_stats()["detector"]
    assert stats.truncated
    assert 100 <= stats.frames < 160
    assert service.memory_stats().truncated_keys == 1
    assert subscriber.stores[-1].truncated == {"detector"}
    history = subscriber.stores[-1]["detector"]
    assert history["time", -1].values[0, 0] == float(599 % 50)
    assert "memory budget" in caplog.text
    assert service.memory_bytes() == sum(
        s.nbytes for s in service.buffer_stats().values()
    )


def test_histories_beyond_what_subscribers_need_give_memory_back_first():
    service = DataService(max_bytes=20 * MB)
    old = Recorder("old", FullHistoryExtractor())
    service.register_subscriber(old)
    for i in range(100):
        service["old"] = image(i)
    service.unregister_subscriber(old)  # its 100 frames are now surplus
    held_before = service.buffer_stats()["old"].nbytes
    service.register_subscriber(Recorder("new", WindowExtractor(100)))
    for i in range(120):
        service["new"] = image(i)
        assert service.memory_bytes() <= 20 * MB
    stats = service.buffer_stats()
    assert not stats["new"].truncated
    assert stats["new"].frames == 100
    assert stats["old"].nbytes < held_before
    assert stats["old"].frames >= 1


def reading(second, value):
    return sc.DataArray(
        sc.scalar(float(value), unit="K"),
        coords={"time": sc.scalar(np.datetime64(T0 + second * 1_000_000_000, "ns"))},
    )


def test_memory_given_back_keeps_every_frame_a_time_window_still_shows():
    # A late frame (outside the span) arrives last: the frame inside the span
    # came before it, so giving memory back must keep both, not the last one.
    service = DataService(max_bytes=2_000)
    window = Recorder("log", TimeWindowExtractor(0.5))
    service.register_subscriber(window)
    service["log"] = reading(1, 10.0)
    service["log"] = reading(0, 20.0)  # late
    # A full history on another key asks for far more than the budget.
    service.register_subscriber(Recorder("other", FullHistoryExtractor()))
    service["other"] = reading(0, 0.0)
    assert service.memory_bytes() <= 2_000
    shown = TimeWindowExtractor(0.5).extract(service.buffer("log").snapshot())
    assert shown.values.tolist() == [10.0]
    assert not service.buffer_stats()["log"].truncated


class CopyCountingStorage(DataArrayBuffer):
    """The real DataArray storage, counting the frames it copies between storages."""

    copied = 0

    def copy_frames(self, source, start, end, target, target_start):
        CopyCountingStorage.copied += end - start
        super().copy_frames(source, start, end, target, target_start)


def test_a_history_held_back_by_the_budget_copies_a_few_frames_per_append():
    factory = BufferFactory()
    factory.register_buffer_impl(sc.DataArray, CopyCountingStorage)
    service = DataService(factory, max_bytes=20 * MB)
    service.register_subscriber(Recorder("detector", FullHistoryExtractor()))
    frames = [image(i) for i in range(50)]
    for i in range(400):
        service["detector"] = frames[i % 50]
    assert service.buffer_stats()["detector"].truncated
    CopyCountingStorage.copied = 0
    for i in range(400):
        service["detector"] = frames[i % 50]
        assert service.memory_bytes() <= 20 * MB
    assert CopyCountingStorage.copied / 400 <= 4
    assert service.buffer_stats()["detector"].frames >= 100


def spectrum(i, bins=1000):
    return sc.DataArray(
        sc.array(dims=["x"], values=np.full(bins, float(i)), unit="counts"),
        coords={"time": sc.scalar(np.datetime64(T0 + i, "ns"))},
    )


def test_a_flood_of_refusals_logs_a_bounded_number_of_lines_and_counts_each(caplog):
    service = DataService(max_bytes=200_000)
    keys = [f"spectrum/{n}" for n in range(300)]
    service.register_subscriber(Recorder("big", WindowExtractor(100)))
    for key in keys:
        service.register_subscriber(Recorder(key, WindowExtractor(100)))
    for i in range(100):
        service["big"] = spectrum(i)  # fills the budget
    with caplog.at_level(logging.WARNING, logger="app.data.memory"):
        for i in range(3):
            for key in keys:
                service[key] = spectrum(i, bins=100)
    refused = [r for r in caplog.records if "memory budget" in r.getMessage()]
    # One line now, the rest summarised by the next line of the interval.
    assert 1 <= len(refused) <= 2
    assert service.memory_stats().refusals >= len(keys)
    assert service.memory_stats().truncated_keys >= len(keys)
