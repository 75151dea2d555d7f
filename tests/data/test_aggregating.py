import numpy as np
import pytest
import scipp as sc

from app.data import (
    AggregatingExtractor,
    Buffer,
    DataArrayBuffer,
    FrameReferences,
    VariableBuffer,
)
from tests.data.frames import T0, spectrum, stacked


def frame(i, *, unit="counts", variances=True):
    rng = np.random.default_rng(i)
    return sc.DataArray(
        sc.array(
            dims=["tof"],
            values=rng.random(5) * 1e3,
            variances=rng.random(5) if variances else None,
            unit=unit,
        ),
        coords={
            "tof": sc.arange("tof", 6.0, unit="us"),
            "time": sc.scalar(np.datetime64(T0 + i * 1_000_000, "ns")),
        },
    )


def filled(frames, max_size=1000):
    buffer = Buffer(max_size, DataArrayBuffer())
    for f in frames:
        buffer.append(f)
    return buffer


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "nansum", "nanmean"])
def test_aggregation_equals_scipp_over_the_window(op):
    frames = [frame(i) for i in range(30)]
    if op.startswith("nan"):
        frames[-2].values[1] = np.nan
    buffer = filled(frames)
    got = AggregatingExtractor(frames=10, op=op).extract(buffer.snapshot())
    expected = getattr(sc, op)(stacked(frames[-10:]), "time")
    assert sc.allclose(got.data, expected.data, equal_nan=True)
    assert sc.identical(got.coords["tof"], frames[0].coords["tof"])
    assert sc.identical(got.coords["start_time"], frames[-10].coords["time"])
    assert sc.identical(got.coords["end_time"], frames[-1].coords["time"])


def test_auto_sums_counts_and_averages_anything_else():
    counts = filled([frame(i) for i in range(4)])
    kelvin = filled([frame(i, unit="K") for i in range(4)])
    auto = AggregatingExtractor(frames=4)
    assert sc.allclose(
        auto.extract(counts.snapshot()).data,
        sc.sum(stacked([frame(i) for i in range(4)]), "time").data,
    )
    assert sc.allclose(
        auto.extract(kelvin.snapshot()).data,
        sc.mean(stacked([frame(i, unit="K") for i in range(4)]), "time").data,
    )


def test_a_time_span_aggregates_the_frames_of_the_last_seconds():
    buffer = Buffer(1, DataArrayBuffer(), span_ns=2 * 5_000_000)
    frames = [frame(i) for i in range(20)]  # 1 ms apart
    for f in frames:
        buffer.append(f)
    got = AggregatingExtractor(seconds=0.005, op="sum").extract(buffer.snapshot())
    assert sc.allclose(got.data, sc.sum(stacked(frames[-6:]), "time").data)


def test_frames_with_masks_are_reduced_as_scipp_does():
    frames = [spectrum(i) for i in range(8)]
    got = AggregatingExtractor(frames=5, op="sum").extract(filled(frames).snapshot())
    assert sc.allclose(got.data, sc.sum(stacked(frames[-5:]), "time").data)


def test_running_sums_are_recomputed_so_rounding_cannot_accumulate():
    # Huge frames entering and leaving the window leave rounding errors in
    # running sums far larger than the small frames that follow; only the
    # recomputation every `recompute_every` frames brings the sum back.
    extractor = AggregatingExtractor(frames=10, op="sum", recompute_every=500)
    buffer = Buffer(extractor.retention().frames, DataArrayBuffer())
    rng = np.random.default_rng(0)

    def frame(i, scale):
        return sc.DataArray(
            sc.array(dims=["x"], values=rng.random(3) * scale),
            coords={"time": sc.scalar(np.datetime64(T0 + i, "ns"))},
        )

    for i in range(2_000):
        buffer.append(frame(i, 1e15 if i < 1_000 else 1e-3))
        extractor.extract(buffer.snapshot())  # the running sum moves on
    got = extractor.extract(buffer.snapshot())
    expected = sc.sum(buffer.get_window(10), "time")
    assert sc.allclose(
        got.data, expected.data, rtol=sc.scalar(1e-12), atol=sc.scalar(0.0)
    )


def test_exactly_one_of_frames_and_seconds():
    with pytest.raises(ValueError, match="exactly one"):
        AggregatingExtractor()
    with pytest.raises(ValueError, match="exactly one"):
        AggregatingExtractor(frames=3, seconds=1.0)
    with pytest.raises(ValueError, match="op must be"):
        AggregatingExtractor(frames=3, op="median")


def test_a_time_span_with_late_frames_aggregates_exactly_the_frames_inside():
    buffer = Buffer(1, DataArrayBuffer(), span_ns=2 * 5_000_000)
    # 1 ms apart, then frames from 9 ms before the newest arrive late.
    frames = [frame(i) for i in range(20)] + [frame(10), frame(11)]
    for f in frames:
        buffer.append(f)
    got = AggregatingExtractor(seconds=0.005, op="sum").extract(buffer.snapshot())
    assert sc.allclose(got.data, sc.sum(stacked(frames[14:20]), "time").data)
    assert sc.identical(got.coords["start_time"], frames[14].coords["time"])


@pytest.mark.parametrize(
    ("op", "storage"),
    [("sum", VariableBuffer), ("mean", lambda: FrameReferences(VariableBuffer()))],
)
def test_running_sums_match_scipp_after_phases_of_huge_and_tiny_values(op, storage):
    # Phases of huge and of tiny values: each huge phase leaves rounding
    # errors in the running sums far larger than a whole window of tiny
    # values, so the sums stay exact only if they are recomputed (every
    # `recompute_every` frames) once the huge frames have left. Two rounds of
    # phases, each phase two recomputations long: the smallest run in which
    # sums without the recomputation fail (a million updates with the default
    # `recompute_every` show nothing more).
    extractor = AggregatingExtractor(frames=100, op=op, recompute_every=500)
    buffer = Buffer(extractor.retention().frames, storage())
    rng = np.random.default_rng(1)
    pools = [
        [sc.array(dims=["x"], values=rng.random(4) * scale) for _ in range(997)]
        for scale in (1e15, 1e-3)
    ]
    phase = 1_000
    updates = 4_000
    for i in range(updates):
        pool = pools[(i // phase) % 2]
        buffer.append(pool[i % len(pool)])
        if i % 97 == 0:
            extractor.extract(buffer.snapshot())  # the running sums move on
    assert buffer.snapshot().appended == updates
    got = extractor.extract(buffer.snapshot())
    expected = getattr(sc, op)(buffer.get_window(100), "time")
    assert sc.allclose(got.data, expected, rtol=sc.scalar(1e-12), atol=sc.scalar(0.0))


@pytest.mark.parametrize("storage", [DataArrayBuffer, FrameReferences])
def test_an_aggregate_handed_out_never_changes(storage):
    # A sum in float64 is the running sum itself (decision 014): the next
    # extraction reads it and writes the next sums into a new result.
    extractor = AggregatingExtractor(frames=4, op="sum")
    make = storage if storage is DataArrayBuffer else lambda: storage(DataArrayBuffer())
    buffer = Buffer(extractor.retention().frames, make())
    frames = [frame(i) for i in range(40)]
    handed_out = []
    for i, f in enumerate(frames):
        buffer.append(f)
        if i % 3 == 0:
            got = extractor.extract(buffer.snapshot())
            handed_out.append((got, got.copy(), i))
    # The same frames twice: no frame moves, the result is still new memory.
    again = extractor.extract(buffer.snapshot())
    assert sc.identical(again, extractor.extract(buffer.snapshot()))
    for got, copy, i in handed_out:
        assert sc.identical(got, copy)
        expected = sc.sum(stacked(frames[max(0, i - 3) : i + 1]), "time")
        assert sc.allclose(got.data, expected.data)
    assert not np.shares_memory(again.values, handed_out[-1][0].values)
