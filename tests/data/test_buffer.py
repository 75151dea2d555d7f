import math

import numpy as np
import pytest
import scipp as sc

from app.data import (
    DEFAULT_MAX_SIZE,
    Buffer,
    BufferFactory,
    DataArrayBuffer,
    FrameMismatchError,
    FrameReferences,
    ListBuffer,
    VariableBuffer,
)
from app.data.buffer import (
    ChecksKeptFrame,
    FixedSlotBytes,
    HandsOutArrays,
    HeldFrames,
    ReadsFrames,
    has_fixed_slot_bytes,
)
from tests.data.frames import image, scalar, spectrum, stacked


def data_array_buffer(max_size, **kwargs):
    return Buffer(max_size, DataArrayBuffer(), **kwargs)


def test_empty_buffer_has_nothing_to_extract():
    buffer = data_array_buffer(5)
    assert len(buffer) == 0
    assert buffer.get_latest() is None
    assert buffer.get_window(3) is None
    assert buffer.get_all() is None
    assert buffer.nbytes == 0


@pytest.mark.parametrize("max_size", [1, 2, 5, 17])
@pytest.mark.parametrize("initial_capacity", [1, 3, 100])
def test_window_holds_the_newest_frames_and_never_more_than_asked(
    max_size, initial_capacity
):
    buffer = data_array_buffer(max_size, initial_capacity=initial_capacity)
    for i in range(60):
        buffer.append(scalar(i))
        held = min(i + 1, max_size)
        assert len(buffer) == held
        for size in (1, 3, max_size, max_size + 4):
            window = buffer.get_window(size)
            expected = list(range(i + 1))[-min(size, held) :]
            assert window.values.tolist() == [float(v) for v in expected]
            assert window.sizes == {"time": len(expected)}
        assert sc.identical(buffer.get_latest(), scalar(i))
        assert buffer.capacity <= math.ceil(max_size * 2.5)


def test_window_stacks_timestamps_into_a_time_coord():
    buffer = data_array_buffer(4)
    frames = [spectrum(i) for i in range(6)]
    for frame in frames:
        buffer.append(frame)
    window = buffer.get_window(3)
    assert window.dims == ("time", "tof")
    expected = stacked(frames[-3:])
    assert sc.identical(window, expected)


@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_datetime_timestamps_in_any_unit_stack_exactly_and_read_as_ns(unit):
    # A datetime is read as its distance from the epoch in its own unit.
    scale = {"ns": 1, "us": 1_000, "s": 1_000_000_000}[unit]
    first = 1_700_000_000_000_000_000 // scale
    frames = [
        spectrum(i).assign_coords(time=sc.scalar(np.datetime64(first + i, unit)))
        for i in range(7)
    ]
    buffer = data_array_buffer(4)
    for frame in frames:
        buffer.append(frame)
    assert sc.identical(buffer.get_window(4), stacked(frames[-4:]))
    assert sc.identical(buffer.get_latest(), frames[-1])
    expected = [(first + i) * scale for i in range(3, 7)]
    assert buffer.snapshot().times().tolist() == expected


def test_max_size_one_keeps_a_reference_and_allocates_nothing():
    buffer = data_array_buffer(1)
    frame = image(0)
    buffer.append(frame)
    assert buffer.get_latest() is frame
    assert buffer.capacity == 1
    assert buffer.nbytes == frame.underlying_size()
    window = buffer.get_window(5)
    assert sc.identical(window, stacked([frame]))


def test_capacity_starts_at_initial_capacity_and_never_exceeds_the_bound():
    buffer = data_array_buffer(10, initial_capacity=4, overallocation_factor=2.5)
    buffer.append(scalar(0))
    assert buffer.capacity == 4
    seen = set()
    for i in range(1, 200):
        buffer.append(scalar(i))
        seen.add(buffer.capacity)
    assert max(seen) == math.ceil(10 * 2.5)


@pytest.mark.parametrize("frame", [scalar(0), spectrum(0), image(0)])
@pytest.mark.parametrize("max_size", [2, 7, 300])
def test_bytes_held_are_what_scipp_counts_for_the_stack(frame, max_size):
    # The stack's DataArray is assembled only when read; its bytes are counted
    # before that and must be what scipp says once it is.
    buffer = data_array_buffer(max_size, initial_capacity=3)
    capacities = set()
    for _ in range(max_size * 3):
        buffer.append(frame)
        capacities.add(buffer.capacity)
        # A view's underlying size is that of all the memory it views.
        assert buffer.nbytes == buffer.get_all().underlying_size()
    assert len(capacities) > 1


def test_set_max_size_only_grows_and_keeps_what_is_held():
    buffer = data_array_buffer(1)
    buffer.append(scalar(0))
    buffer.set_max_size(3)
    assert buffer.max_size == 3
    assert buffer.get_window(3).values.tolist() == [0.0]
    for i in range(1, 5):
        buffer.append(scalar(i))
    buffer.set_max_size(2)
    assert buffer.max_size == 3
    assert buffer.get_all().values.tolist() == [2.0, 3.0, 4.0]
    buffer.set_max_size(6)
    for i in range(5, 8):
        buffer.append(scalar(i))
    assert buffer.get_all().values.tolist() == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


def test_full_history_keeps_the_newest_frames_and_accepts_a_million():
    buffer = Buffer(DEFAULT_MAX_SIZE, VariableBuffer())
    bound = math.ceil(DEFAULT_MAX_SIZE * 2.5)
    frames = [sc.scalar(float(i), unit="K") for i in range(1000)]
    for i in range(1_000_000):
        buffer.append(frames[i % 1000])
        if i % 99_991 == 0:
            assert buffer.capacity <= bound
    everything = buffer.get_all()
    assert len(buffer) == DEFAULT_MAX_SIZE
    expected = np.arange(1_000_000 - DEFAULT_MAX_SIZE, 1_000_000) % 1000
    np.testing.assert_array_equal(everything.values, expected.astype(float))
    assert buffer.nbytes <= bound * 8 + 1024


def test_data_handed_out_never_changes_after_appends_and_shifts():
    buffer = data_array_buffer(5, initial_capacity=2)
    handed_out = []
    for i in range(80):
        buffer.append(spectrum(i))
        window = buffer.get_window(4)
        latest = buffer.get_latest()
        handed_out.append((window, window.copy(), latest, latest.copy()))
    for window, window_then, latest, latest_then in handed_out:
        assert sc.identical(window, window_then)
        assert sc.identical(latest, latest_then)


def test_object_windows_handed_out_never_change():
    buffer = Buffer(3, ListBuffer(), initial_capacity=1)
    handed_out = []
    for i in range(30):
        buffer.append({"i": i})
        window = buffer.get_window(3)
        handed_out.append((window, list(window)))
    for window, then in handed_out:
        assert window == then


MISMATCHES = {
    "dims": lambda: sc.DataArray(
        sc.array(
            dims=["wavelength"], values=np.ones(8), variances=np.ones(8), unit="counts"
        )
    ),
    "shape": lambda: spectrum(1, bins=9),
    "dtype": lambda: spectrum(1).astype("float32"),
    "unit": lambda: spectrum(1).assign(spectrum(1).data * sc.scalar(1.0, unit="s")),
    "variances": lambda: spectrum(1).assign(sc.values(spectrum(1).data)),
    "coord values": lambda: spectrum(1).assign_coords(
        tof=sc.linspace("tof", 0.0, 1.0, 9, unit="us")
    ),
    "coord missing": lambda: spectrum(1).drop_coords("detector"),
    "time missing": lambda: spectrum(1).drop_coords("time"),
    "time dtype": lambda: spectrum(1).assign_coords(time=sc.scalar(3, unit="ns")),
    "time unit": lambda: spectrum(1).assign_coords(
        time=sc.scalar(np.datetime64(1_700_000_000_000_000, "us"))
    ),
    "time not 0-D": lambda: spectrum(1).assign_coords(
        time=sc.array(
            dims=["tof"], values=np.arange(8).astype("datetime64[ns]"), unit="ns"
        )
    ),
    "time alignment": lambda: unaligned(spectrum(1), "time"),
    "coord alignment": lambda: unaligned(spectrum(1), "tof"),
    "extra coord": lambda: spectrum(1).assign_coords(extra=sc.scalar(1.0)),
    "mask missing": lambda: spectrum(1).drop_masks("noisy"),
    "type": lambda: sc.scalar(1.0),
}


def unaligned(frame, name):
    frame = frame.copy(deep=False)
    frame.coords.set_aligned(name, False)
    return frame


@pytest.mark.parametrize("what", MISMATCHES)
def test_a_frame_that_does_not_fit_is_refused_and_nothing_changes(what):
    buffer = data_array_buffer(4)
    frames = [spectrum(i) for i in range(3)]
    for frame in frames:
        buffer.append(frame)
    with pytest.raises(FrameMismatchError):
        buffer.append(MISMATCHES[what]())
    assert len(buffer) == 3
    assert sc.identical(buffer.get_all(), stacked(frames))


def with_tof(frame, tof):
    return frame.assign_coords(tof=tof)


def test_a_coord_sharing_memory_with_accepted_ones_is_still_checked():
    # Frames usually share one coord object, which the check recognises by its
    # memory; a view of that memory laid out otherwise must still be refused.
    edges = sc.linspace("tof", 0.0, 80_000.0, 10, unit="us")
    for tof in [edges, edges["tof", :9]]:
        buffer = data_array_buffer(4)
        for i in range(3):
            buffer.append(with_tof(spectrum(i, bins=len(tof) - 1), tof))
        for other in [
            unaligned(with_tof(spectrum(3, bins=len(tof) - 1), tof), "tof"),
            with_tof(spectrum(3, bins=8), edges["tof", 1:]),
        ]:
            with pytest.raises(FrameMismatchError):
                buffer.append(other)
        buffer.append(with_tof(spectrum(3, bins=len(tof) - 1), tof.copy()))
        buffer.append(with_tof(spectrum(4, bins=len(tof) - 1), tof))
        assert len(buffer) == 4
        assert sc.identical(
            buffer.get_latest(), with_tof(spectrum(4, bins=len(tof) - 1), tof)
        )


def test_frames_whose_shared_coord_holds_nan_stack_into_one_history():
    # Each frame decoded anew brings its own copy of the coord; NaN (a gap in
    # a wavelength axis, say) must not make equal coords look different.
    edges = sc.array(dims=["tof"], values=[0.0, 1.0, np.nan, 3.0, 4.0], unit="us")
    buffer = data_array_buffer(3)
    for i in range(3):
        buffer.append(with_tof(spectrum(i, bins=4), edges.copy()))
    assert len(buffer) == 3
    with pytest.raises(FrameMismatchError):
        buffer.append(with_tof(spectrum(3, bins=4), edges + sc.scalar(1.0, unit="us")))


def test_mismatch_message_says_what_did_not_fit():
    buffer = data_array_buffer(4)
    buffer.append(spectrum(0))
    with pytest.raises(FrameMismatchError, match=r"expected dims \('tof',\), got"):
        buffer.append(MISMATCHES["dims"]())
    with pytest.raises(FrameMismatchError, match="coord 'tof'"):
        buffer.append(MISMATCHES["coord values"]())


class FailsAfterWritingValues(DataArrayBuffer):
    """Storage whose write breaks half-way, as a failing copy would."""

    def __init__(self):
        super().__init__()
        self.fail = False

    def write(self, storage, index, frame):
        storage.values[index] = frame.values
        if self.fail:
            raise RuntimeError("write broke half-way")
        super().write(storage, index, frame)


@pytest.mark.parametrize("held", [2, 4, 9])
def test_a_write_that_fails_half_way_leaves_the_buffer_as_it_was(held):
    # 4 slots: held=4 fails while moving to fresh storage, held=9 after a shift.
    impl = FailsAfterWritingValues()
    buffer = Buffer(5, impl, initial_capacity=4)
    for i in range(held):
        buffer.append(spectrum(i))
    before = buffer.get_all().copy()
    capacity = buffer.capacity
    impl.fail = True
    with pytest.raises(RuntimeError, match="half-way"):
        buffer.append(spectrum(100))
    assert sc.identical(buffer.get_all(), before)
    assert buffer.capacity == capacity
    impl.fail = False
    buffer.append(spectrum(101))
    assert sc.identical(buffer.get_latest(), spectrum(101))
    assert sc.identical(buffer.get_window(2)["time", 0], before["time", -1])


def test_extend_appends_all_frames_or_none():
    buffer = data_array_buffer(10)
    buffer.extend([scalar(i) for i in range(3)])
    with pytest.raises(FrameMismatchError):
        buffer.extend([scalar(3), scalar(4), scalar(5, unit="m")])
    assert buffer.get_all().values.tolist() == [0.0, 1.0, 2.0]
    buffer.extend([scalar(3)])
    assert buffer.get_all().values.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_invalid_sizes_are_refused():
    with pytest.raises(ValueError, match="max_size"):
        Buffer(0, ListBuffer())
    with pytest.raises(ValueError, match="overallocation_factor"):
        Buffer(3, ListBuffer(), overallocation_factor=0.5)
    with pytest.raises(ValueError, match="window size"):
        Buffer(3, ListBuffer()).get_window(0)


class Detector(sc.DataArray):
    """A subclass, as a facility library might define."""


def test_factory_dispatches_on_the_type_and_its_bases():
    factory = BufferFactory()
    frame = spectrum(0)
    assert isinstance(factory.create_buffer(frame, 3).impl, DataArrayBuffer)
    assert isinstance(factory.create_buffer(sc.scalar(1.0), 3).impl, VariableBuffer)
    assert isinstance(factory.create_buffer(42, 3).impl, ListBuffer)
    assert isinstance(
        factory.create_buffer(Detector(frame.data), 3).impl, DataArrayBuffer
    )


def test_factory_keeps_values_with_the_stacking_dimension_as_objects():
    factory = BufferFactory()
    stacked = sc.concat([scalar(0), scalar(1)], "time")
    buffer = factory.create_buffer(stacked, 3)
    assert isinstance(buffer.impl, ListBuffer)
    buffer.append(stacked)
    assert buffer.get_latest() is stacked


def test_factory_uses_registered_storage():
    class Recording(ListBuffer):
        pass

    factory = BufferFactory(
        concat_dim="frame", initial_capacity=7, overallocation_factor=3
    )
    factory.register_buffer_impl(int, Recording)
    buffer = factory.create_buffer(1, 4)
    assert isinstance(buffer.impl, Recording)
    assert (buffer.concat_dim, buffer.initial_capacity) == ("frame", 7)
    assert buffer.overallocation_factor == 3


def test_held_frames_say_where_a_snapshots_frames_are_and_stay_so():
    buffer = data_array_buffer(3, initial_capacity=8)
    for i in range(5):
        buffer.append(scalar(i))
    held = HeldFrames._make(buffer.held())
    assert (held.end - held.start, held.appended, held.by_reference) == (3, 5, False)
    snapshot = buffer.snapshot()
    buffer.append(scalar(5))
    assert HeldFrames._make(buffer.held()).appended == 6
    assert (len(snapshot), snapshot.appended) == (3, 5)
    assert snapshot.get_latest().value == 4.0


def test_a_latest_value_buffer_holds_its_frame_by_reference():
    buffer = data_array_buffer(1)
    frame = scalar(0)
    buffer.append(frame)
    held = HeldFrames._make(buffer.held())
    assert held.by_reference
    assert held.has_latest
    assert held.latest is frame
    assert held.storage is None


def test_storages_declare_their_optional_capabilities():
    variables, arrays = VariableBuffer(), DataArrayBuffer()
    references = FrameReferences(arrays)
    for storage in (variables, arrays, references):
        assert isinstance(storage, HandsOutArrays)
        assert has_fixed_slot_bytes(storage)
    assert isinstance(arrays, ChecksKeptFrame)
    assert isinstance(references, ChecksKeptFrame)
    assert not isinstance(variables, ChecksKeptFrame)
    assert isinstance(arrays, ReadsFrames)
    assert isinstance(variables, ReadsFrames)
    objects = ListBuffer()
    assert not isinstance(objects, HandsOutArrays | ChecksKeptFrame | ReadsFrames)
    assert not isinstance(objects, FixedSlotBytes)
    assert not has_fixed_slot_bytes(objects)


def test_a_storage_saying_its_slot_bytes_change_is_recounted_on_every_append():
    class Growing(ListBuffer):
        fixed_slot_bytes = False

    buffer = Buffer(5, Growing(), initial_capacity=5)
    nbytes = []
    for i in range(3):
        buffer.append(np.zeros(1000 * (i + 1)))
        nbytes.append(buffer.nbytes)
    assert nbytes[0] < nbytes[1] < nbytes[2]


def test_a_window_of_objects_has_no_numpy_arrays_to_hand_out():
    buffer = Buffer(5, ListBuffer())
    for i in range(3):
        buffer.append(i)
    assert buffer.snapshot().get_numbered_arrays(0, 3) is None
    assert buffer.snapshot().get_numbered(0, 3) == [0, 1, 2]


def test_the_factory_hands_the_memory_budget_to_the_buffer():
    class Refusing:
        def __init__(self):
            self.asked = []

        def request(self, buffer, nbytes):
            self.asked.append(nbytes)
            return False

        def changed(self, buffer, delta):
            pass

    memory = Refusing()
    buffer = BufferFactory().create_buffer(spectrum(0), 10, memory=memory)
    buffer.append(spectrum(0))
    assert memory.asked
    assert buffer.capacity == 1
    assert buffer.truncated


def test_a_stacks_layout_never_changes_and_what_frames_teach_is_kept_apart():
    storage = DataArrayBuffer()
    stack = storage.allocate(spectrum(0), 2)
    with pytest.raises(TypeError):
        stack.layout.shared_coords["tof"] = sc.scalar(1.0)
    with pytest.raises(TypeError):
        stack.layout.masks["edge"] = (("tof",), (8,))
    storage.write(stack, 0, spectrum(0))
    assert "tof" in stack.notes.known_coords
    assert storage.allocate_like(stack, 3).notes is stack.notes


def test_the_frame_plan_names_what_a_frame_is_checked_against():
    plan = DataArrayBuffer().allocate(spectrum(0), 1).layout.plan
    assert set(plan.shared) == {"tof", "detector"}
    assert (plan.coord_count, plan.time_name, plan.masked) == (3, "time", True)
    assert plan.time_epoch is not None  # datetimes, read from the epoch
