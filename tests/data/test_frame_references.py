"""Frames kept by reference for subscribers that read them one at a time."""

import numpy as np
import pytest
import scipp as sc

from app.data import (
    AggregatingExtractor,
    Buffer,
    BufferFactory,
    DataArrayBuffer,
    DataService,
    FrameMismatchError,
    FrameReferences,
    LatestValueExtractor,
    VariableBuffer,
    WindowExtractor,
)
from tests.data.frames import image, scalar, stacked
from tests.data.subscribers import Recorder

SIZE = 64  # 64x64 counts (int64): 32 KiB, above the 16 KiB from which frames are kept


def big(i):
    return image(i, size=SIZE)


def subscribed(*extractors, **kwargs):
    service = DataService(**kwargs)
    recorders = [Recorder("k", extractor) for extractor in extractors]
    for recorder in recorders:
        service.register_subscriber(recorder)
    return service, recorders


def test_running_sums_of_large_frames_keep_the_frames_themselves():
    service, (recorder,) = subscribed(AggregatingExtractor(frames=5, op="sum"))
    frames = [big(i) for i in range(12)]
    for f in frames:
        service["k"] = f
    buffer = service.buffer("k")
    assert isinstance(buffer.impl, FrameReferences)
    # No copy: the newest frame is the very object assigned.
    assert buffer.get_latest() is frames[-1]
    got = recorder.stores[-1]["k"]
    expected = sc.sum(stacked(frames[-5:]), "time")
    assert sc.identical(got.data, expected.data)
    assert sc.identical(got.coords["x"], frames[-1].coords["x"])


def test_small_frames_are_stacked_even_for_running_sums():
    service, _ = subscribed(AggregatingExtractor(frames=5, op="sum"))
    for i in range(3):
        service["k"] = scalar(i)
    assert isinstance(service.buffer("k").impl, DataArrayBuffer)


@pytest.mark.parametrize("op", ["max", "nansum"])
def test_ops_reduced_anew_keep_frames_stacked(op):
    service, _ = subscribed(AggregatingExtractor(frames=5, op=op))
    service["k"] = big(0)
    assert isinstance(service.buffer("k").impl, DataArrayBuffer)


def test_a_window_subscriber_moves_the_frames_into_a_stack():
    service, (summing,) = subscribed(AggregatingExtractor(frames=3, op="sum"))
    frames = [big(i) for i in range(5)]
    for f in frames:
        service["k"] = f
    window = Recorder("k", WindowExtractor(4))
    service.register_subscriber(window, replay=True)
    assert isinstance(service.buffer("k").impl, DataArrayBuffer)
    # The frames held by reference are the window's, stacked.
    assert sc.identical(window.stores[-1]["k"], stacked(frames[-4:]))
    service["k"] = extra = big(5)
    assert sc.identical(window.stores[-1]["k"], stacked([*frames[-3:], extra]))
    expected = sc.sum(stacked([*frames[-2:], extra]), "time")
    assert sc.identical(summing.stores[-1]["k"].data, expected.data)


def test_a_running_sum_on_a_latest_value_key_keeps_its_frame_and_what_follows():
    service, _ = subscribed(LatestValueExtractor())
    first = big(0)
    service["k"] = first
    summing = Recorder("k", AggregatingExtractor(frames=4, op="sum"))
    service.register_subscriber(summing)
    buffer = service.buffer("k")
    assert isinstance(buffer.impl, FrameReferences)
    assert len(buffer) == 1
    frames = [first, *(big(i) for i in range(1, 4))]
    for f in frames[1:]:
        service["k"] = f
    expected = sc.sum(stacked(frames), "time")
    assert sc.identical(summing.stores[-1]["k"].data, expected.data)


def test_a_frame_that_would_not_stack_starts_a_new_history():
    service, _ = subscribed(AggregatingExtractor(frames=4, op="sum"))
    service["k"] = big(0)
    service["k"] = big(1)
    moved = big(2)
    moved.coords["x"] = moved.coords["x"] + sc.scalar(1.0, unit="mm")
    service["k"] = moved
    assert len(service.buffer("k")) == 1
    assert service.buffer_stats()["k"].restarts == 1


def test_a_stacked_view_is_the_stack_a_stacking_buffer_would_show():
    buffer = Buffer(4, FrameReferences(DataArrayBuffer()))
    frames = [big(i) for i in range(7)]
    for f in frames:
        buffer.append(f)
    assert sc.identical(buffer.get_window(4), stacked(frames[-4:]))
    np.testing.assert_array_equal(
        buffer.times(), [f.coords["time"].value.astype(np.int64) for f in frames[-4:]]
    )


def test_a_mismatch_names_what_did_not_fit_and_keeps_the_frames():
    buffer = Buffer(4, FrameReferences(VariableBuffer()))
    frames = [sc.array(dims=["x"], values=np.arange(3.0) + i) for i in range(3)]
    for f in frames:
        buffer.append(f)
    with pytest.raises(FrameMismatchError, match="shape"):
        buffer.append(sc.array(dims=["x"], values=np.arange(4.0)))
    assert len(buffer) == 3
    assert buffer.get_latest() is frames[-1]


def test_bytes_count_every_slot_as_a_whole_frame():
    buffer = Buffer(10, FrameReferences(DataArrayBuffer()), initial_capacity=4)
    frame = big(0)
    buffer.append(frame)
    assert buffer.nbytes == 4 * frame.underlying_size() + 4 * 8


def test_the_budget_holds_for_a_running_sum_of_large_frames():
    budget = 40 * big(0).underlying_size()
    service, (recorder,) = subscribed(
        AggregatingExtractor(frames=50, op="sum"), max_bytes=budget
    )
    frames = [big(i % 7) for i in range(200)]
    for f in frames:
        service["k"] = f
        assert service.memory_bytes() <= budget
    store = recorder.stores[-1]
    assert "k" in store.truncated
    assert service.buffer_stats()["k"].truncated


def test_the_threshold_is_the_factorys():
    service = DataService(buffer_factory=BufferFactory(reference_min_bytes=0))
    service.register_subscriber(Recorder("k", AggregatingExtractor(frames=3)))
    service["k"] = scalar(0)
    assert isinstance(service.buffer("k").impl, FrameReferences)


def test_frames_stacked_for_a_window_that_left_move_out_of_the_stack():
    service, (window,) = subscribed(WindowExtractor(6))
    frames = [big(i) for i in range(8)]
    for f in frames:
        service["k"] = f
    service.unregister_subscriber(window)
    assert isinstance(service.buffer("k").impl, DataArrayBuffer)
    summing = Recorder("k", AggregatingExtractor(frames=5, op="sum"))
    service.register_subscriber(summing, replay=True)
    buffer = service.buffer("k")
    assert isinstance(buffer.impl, FrameReferences)
    assert len(buffer) == 6
    # Copies: a view would keep the whole stack alive (scipp counts it all).
    assert buffer.get_latest().underlying_size() == frames[-1].underlying_size()
    assert sc.identical(buffer.get_latest(), frames[-1])
    expected = sc.sum(stacked(frames[-5:]), "time")
    assert sc.identical(summing.stores[-1]["k"].data, expected.data)


DAY = 1_700_000_000  # s since the epoch


@pytest.mark.parametrize(
    ("timestamp", "first_ns", "second_ns"),
    [
        (lambda s: sc.scalar(s, unit="s", dtype="int64"), 0, 10**9),
        (lambda s: sc.scalar(np.datetime64(DAY + s, "s")), DAY * 10**9, 10**9),
        (
            lambda s: sc.scalar(np.datetime64((DAY + s) * 10**6 + 7, "us")),
            DAY * 10**9 + 7_000,
            10**9,
        ),
    ],
    ids=["int64 s", "datetime64 s", "datetime64 us"],
)
def test_timestamps_in_another_unit_read_as_ns(timestamp, first_ns, second_ns):
    buffer = Buffer(4, FrameReferences(DataArrayBuffer()))
    frames = []
    for second in (3, 5):
        frame = big(second)
        frame.coords["time"] = timestamp(second)
        buffer.append(frame)
        frames.append(frame)
    expected = [first_ns + 3 * second_ns, first_ns + 5 * second_ns]
    assert buffer.times().tolist() == expected
    assert sc.identical(buffer.get_window(2), stacked(frames))


def test_a_move_that_fails_leaves_the_buffer_and_registers_nobody(monkeypatch):
    service, _ = subscribed(LatestValueExtractor())
    service["k"] = first = big(0)
    before = service.buffer("k")

    def fail(self, frames):
        raise MemoryError("no room for the moved frames")

    monkeypatch.setattr(Buffer, "extend", fail)
    summing = Recorder("k", AggregatingExtractor(frames=4, op="sum"))
    with pytest.raises(MemoryError):
        service.register_subscriber(summing)
    assert service.buffer("k") is before
    assert service.buffer("k").get_latest() is first
    assert service.subscriber_count == 1
    monkeypatch.undo()
    service["k"] = big(1)
    assert summing.stores == []
    # What the failed subscriber asked for is forgotten too.
    assert service.buffer("k").max_size == 1
