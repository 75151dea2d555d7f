"""Tests of regions summed by the ingestion, in the transaction of their frame."""

from __future__ import annotations

import time

import numpy as np
import scipp as sc
import scipp.testing

from app.data import DataService, WindowExtractor
from app.data.regions import Region, region_key, replace_regions
from app.ingestion.process import Ingestion
from app.ingestion.regions import RegionSink
from app.shared_state import SharedState
from app.sources.simulated import DETECTOR, MONITOR_1, SimulatedInstrument
from tests.data.test_service import Recorder

BOX = Region.box("corner", -100.0, -20.0, -100.0, -20.0)
TRIANGLE = Region.polygon("triangle", [0.0, 100.0, 0.0], [0.0, 0.0, 100.0])


class ManualClock:
    def __init__(self) -> None:
        self.now_ns = time.time_ns()

    def __call__(self) -> int:
        return self.now_ns


def inside(region: Region, frame: sc.DataArray) -> np.ndarray:
    """The region's pixels, the plain way (pixel centres, boundary included)."""
    x = frame.coords["x"].values
    y = frame.coords["y"].values
    xs, ys = np.meshgrid(x, y)
    if region.shape == "box":
        return (
            (xs >= min(region.x))
            & (xs <= max(region.x))
            & (ys >= min(region.y))
            & (ys <= max(region.y))
        )
    # The triangle's legs lie on the axes: inside is x, y >= 0, x + y <= 100.
    return (xs >= 0) & (ys >= 0) & (xs + ys <= 100)


def test_a_subscriber_sees_each_region_with_the_frame_it_came_from(tmp_path) -> None:
    regions = SharedState(tmp_path / "regions.json")
    regions.update(replace_regions(DETECTOR, (BOX, TRIANGLE)))
    clock = ManualClock()
    source = SimulatedInstrument(rate_hz=10.0, streams=[DETECTOR], clock=clock)
    ingestion = Ingestion(source, ingest_period_s=1.0, regions=regions)
    keys = [DETECTOR, region_key(DETECTOR, BOX.name), region_key(DETECTOR, "triangle")]
    page = Recorder({key: WindowExtractor(50) for key in keys})
    ingestion.data_service.register_subscriber(page)
    for _ in range(3):
        clock.now_ns += 200_000_000  # two frames per batch
        ingestion.orchestrator.update()
    assert len(page.stores) == 3
    for store in page.stores:
        images = store[DETECTOR]
        for region in (BOX, TRIANGLE):
            sums = store[region_key(DETECTOR, region.name)]
            assert sums.sizes["time"] == images.sizes["time"]
            sc.testing.assert_identical(sums.coords["time"], images.coords["time"])
            mask = inside(region, images["time", 0])
            expected = images.values[:, mask].sum(axis=1)
            np.testing.assert_allclose(sums.values, expected)
            assert sums.unit == images.unit


def test_keys_without_regions_write_nothing_more(tmp_path) -> None:
    regions = SharedState(tmp_path / "regions.json")
    regions.update(replace_regions(DETECTOR, (BOX,)))
    clock = ManualClock()
    source = SimulatedInstrument(
        rate_hz=10.0, streams=[DETECTOR, MONITOR_1], clock=clock
    )
    # One update must apply both keys' frames: the default 10 ms budget of a
    # batch may end it after the detector's on a loaded machine.
    ingestion = Ingestion(
        source, ingest_period_s=1.0, regions=regions, max_batch_seconds=3600.0
    )
    clock.now_ns += 100_000_000
    ingestion.orchestrator.update()
    assert set(ingestion.activity) == {
        DETECTOR,
        MONITOR_1,
        region_key(DETECTOR, BOX.name),
    }
    # A region's key has arrivals like any key (the key browser lists it).
    sums = ingestion.activity.get(region_key(DETECTOR, BOX.name))
    assert sums.count == ingestion.activity.get(DETECTOR).count


def test_regions_changed_in_the_file_are_summed_within_a_few_seconds(
    tmp_path,
) -> None:
    path = tmp_path / "regions.json"
    clock = ManualClock()
    source = SimulatedInstrument(rate_hz=10.0, streams=[DETECTOR], clock=clock)
    ingestion = Ingestion(source, ingest_period_s=1.0, regions=SharedState(path))
    assert ingestion.regions.keys_with_regions == frozenset()
    # Another process (another object of the same file) draws a region.
    SharedState(path).update(replace_regions(DETECTOR, (TRIANGLE,)))
    deadline = time.monotonic() + 10
    while DETECTOR not in ingestion.regions.keys_with_regions:
        assert time.monotonic() < deadline, "the ingestion never saw the region"
        time.sleep(0.05)
    clock.now_ns += 100_000_000
    ingestion.orchestrator.update()
    assert region_key(DETECTOR, TRIANGLE.name) in ingestion.data_service
    ingestion.stop()


def test_a_frame_whose_regions_fail_is_still_written() -> None:
    service = DataService()
    sink = RegionSink(service)
    sink.use({"panel": (BOX,)})
    with sink.transaction():
        sink["panel"] = sc.scalar(1.0)  # not an image: nothing to sum
    assert service["panel"] == sc.scalar(1.0)
    assert list(service) == ["panel"]


def test_unchanged_regions_keep_their_masks() -> None:
    sink = RegionSink(DataService())
    sink.use({"panel": (BOX,), "other": (TRIANGLE,)})
    before = sink._by_key["panel"]
    sink.use({"panel": (BOX,), "other": (BOX,)})
    assert sink._by_key["panel"] is before
