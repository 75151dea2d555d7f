import numpy as np
import pytest
import scipp as sc

from app.data import (
    Buffer,
    DataArrayBuffer,
    DataService,
    Retention,
    TimeWindowExtractor,
    VariableBuffer,
    WindowExtractor,
)

S = 1_000_000_000


def at(seconds: float, value: float = 0.0) -> sc.DataArray:
    return sc.DataArray(
        sc.scalar(float(value), unit="K"),
        coords={"time": sc.scalar(np.datetime64(round(seconds * S), "ns"))},
    )


class Recorder:
    def __init__(self, extractors):
        self.extractors = extractors
        self.keys = set(extractors)
        self.stores = []

    def trigger(self, store):
        self.stores.append(store)


def values_of(window):
    return window.values.tolist()


def test_time_window_holds_frames_within_the_span_of_the_newest_edges_included():
    service = DataService()
    subscriber = Recorder({"t": TimeWindowExtractor(10.0)})
    service.register_subscriber(subscriber)
    for second in [0, 5, 10, 10, 19.999, 20]:
        service["t"] = at(second, second)
    # Newest is 20 s: 10 s is exactly at the edge, so both frames at 10 s are in.
    assert values_of(subscriber.stores[-1]["t"]) == [10, 10, 19.999, 20]
    service["t"] = at(20.5, 20.5)
    assert values_of(subscriber.stores[-1]["t"]) == [19.999, 20, 20.5]


def test_a_frame_arriving_out_of_order_is_in_exactly_when_its_time_is():
    service = DataService()
    subscriber = Recorder({"t": TimeWindowExtractor(10.0)})
    service.register_subscriber(subscriber)
    for second in [0, 12, 20]:
        service["t"] = at(second, second)
    service["t"] = at(15, 15)  # late but inside: kept, in arrival order
    assert values_of(subscriber.stores[-1]["t"]) == [12, 20, 15]
    service["t"] = at(3, 3)  # late and outside: not shown
    assert values_of(subscriber.stores[-1]["t"]) == [12, 20, 15]
    service["t"] = at(23, 23)  # 12 falls out; the window skips the late 3 too
    assert values_of(subscriber.stores[-1]["t"]) == [20, 15, 23]
    times = subscriber.stores[-1]["t"].coords["time"].values
    assert times.astype("int64").tolist() == [20 * S, 15 * S, 23 * S]


def test_time_window_buffer_keeps_the_span_however_many_frames_it_takes():
    buffer = Buffer(1, DataArrayBuffer(), initial_capacity=4, span_ns=60 * S)
    for i in range(6000):  # 100 Hz for 60 s
        buffer.append(at(i / 100, i))
    window = TimeWindowExtractor(60.0).extract(buffer.snapshot())
    assert window.sizes["time"] == 6000
    for i in range(6000, 9000):
        buffer.append(at(i / 100, i))
    window = TimeWindowExtractor(60.0).extract(buffer.snapshot())
    # 89.99 s - 60 s = 29.99 s: frame 2999 is at the edge, so in.
    assert values_of(window)[0] == 2999
    assert window.sizes["time"] == 6001
    assert buffer.capacity <= np.ceil(buffer.max_size * 2.5)


def test_time_retention_combines_with_frame_retention():
    assert Retention(frames=50).union(Retention(seconds=2.0)) == Retention(
        frames=50, seconds=2.0
    )
    service = DataService()
    by_time = Recorder({"t": TimeWindowExtractor(1.0)})
    by_count = Recorder({"t": WindowExtractor(30)})
    service.register_subscriber(by_time)
    service.register_subscriber(by_count)
    for i in range(100):
        service["t"] = at(i / 100, i)  # 1 s holds 101 frames, more than 30
    assert len(values_of(by_time.stores[-1]["t"])) == 100
    assert values_of(by_count.stores[-1]["t"]) == list(range(70, 100))
    for i in range(100, 200):
        service["t"] = at(i, i)  # 1 frame a second: 30 frames span 29 s
    assert values_of(by_time.stores[-1]["t"]) == [198, 199]
    assert values_of(by_count.stores[-1]["t"]) == list(range(170, 200))


def test_frames_without_a_time_coord_count_at_their_arrival():
    buffer = Buffer(1, VariableBuffer(), span_ns=3600 * S)
    for i in range(5):
        buffer.append(sc.scalar(float(i)))
    times = buffer.times()
    assert np.all(np.diff(times) >= 0)
    assert len(times) == 5
    window = TimeWindowExtractor(3600.0).extract(buffer.snapshot())
    assert window.values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("seconds", [0, -1.0])
def test_time_window_must_be_positive(seconds):
    with pytest.raises(ValueError, match="positive"):
        TimeWindowExtractor(seconds)


def test_late_frames_outside_the_span_never_drop_the_frames_inside():
    # Few slots: the late frames make the buffer move to fresh storage.
    buffer = Buffer(1, DataArrayBuffer(), span_ns=S // 2)
    for seconds, value in [(0, 1), (2, 2), (0, 3), (0, 4), (0, 5), (0, 6)]:
        buffer.append(at(seconds, value))
    window = TimeWindowExtractor(0.5).extract(buffer.snapshot())
    assert values_of(window) == [2.0]
