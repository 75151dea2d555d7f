"""Tests of regions of interest: the pixel-centre rule and the sums inside."""

from __future__ import annotations

import numpy as np
import pytest
import scipp as sc
import scipp.testing

from app.data.regions import (
    KeyRegions,
    Region,
    RegionMask,
    points_in_polygon,
    region_key,
    regions_of,
    replace_regions,
    spectrum_key,
)
from app.shared_state import SharedState

T0 = 1_700_000_000_000_000_000


def reference_inside(px: float, py: float, xs: list[float], ys: list[float]) -> bool:
    """One point, the plain way: on an edge (exactly collinear and between its
    ends) counts as inside; otherwise the winding number is not zero."""
    n = len(xs)
    winding = 0
    for i in range(n):
        x1, y1, x2, y2 = xs[i], ys[i], xs[(i + 1) % n], ys[(i + 1) % n]
        cross = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)
        if (
            abs(cross) < 1e-9
            and min(x1, x2) <= px <= max(x1, x2)
            and min(y1, y2) <= py <= max(y1, y2)
        ):
            return True
        if y1 <= py < y2 and cross > 0:
            winding += 1
        elif y2 <= py < y1 and cross < 0:
            winding -= 1
    return winding != 0


def reference_mask(region: Region, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    if region.shape == "box":
        x0, x1 = sorted(region.x)
        y0, y1 = sorted(region.y)
        return np.array([[x0 <= x <= x1 and y0 <= y <= y1 for x in cx] for y in cy])
    return np.array(
        [
            [reference_inside(x, y, list(region.x), list(region.y)) for x in cx]
            for y in cy
        ]
    )


CENTRES = np.arange(10.0)  # pixel centres 0..9 (edges -0.5..9.5)

REGIONS = [
    Region.box("inner", 2.5, 6.5, 1.5, 4.5),
    # Edges through pixel centres: those pixels belong.
    Region.box("on-edges", 2.0, 6.0, 1.0, 4.0),
    Region.box("reversed", 6.0, 2.0, 4.0, 1.0),
    Region.box("outside", 20.0, 30.0, 20.0, 30.0),
    Region.polygon("triangle", [1.0, 8.0, 1.0], [1.0, 1.0, 8.0]),
    Region.polygon("concave", [0.0, 9.0, 9.0, 4.5, 0.0], [0.0, 0.0, 9.0, 3.0, 9.0]),
    Region.polygon("diamond", [4.0, 7.0, 4.0, 1.0], [1.0, 4.0, 7.0, 4.0]),
    Region.polygon("odd", [0.3, 8.7, 6.1, 2.2], [0.4, 1.9, 8.8, 6.6]),
]


@pytest.mark.parametrize("region", REGIONS, ids=lambda region: region.name)
def test_a_pixel_is_in_a_region_when_its_centre_is_inside_or_on_the_boundary(
    region: Region,
) -> None:
    mask = RegionMask.of(region, CENTRES, CENTRES).full((10, 10))
    np.testing.assert_array_equal(mask, reference_mask(region, CENTRES, CENTRES))


def test_centres_on_a_polygon_edge_or_vertex_are_inside() -> None:
    xs, ys = np.array([0.0, 4.0, 4.0]), np.array([0.0, 0.0, 4.0])
    points_x = np.array([2.0, 4.0, 2.0, 0.0, 4.0, 2.0, 5.0])
    points_y = np.array([0.0, 2.0, 2.0, 0.0, 4.0, 2.1, 0.0])
    np.testing.assert_array_equal(
        points_in_polygon(points_x, points_y, xs, ys),
        [True, True, True, True, True, False, False],
    )


def image_frame(i: int, *, variances: bool = True) -> sc.DataArray:
    rng = np.random.default_rng(i)
    values = rng.poisson(5.0, size=(10, 12)).astype(np.float64)
    return sc.DataArray(
        sc.array(
            dims=["y", "x"],
            values=values,
            variances=values.copy() if variances else None,
            unit="counts",
        ),
        coords={
            # Bin edges along x, centres along y: both kinds of coord.
            "x": sc.linspace("x", -0.5, 11.5, 13, unit="mm"),
            "y": sc.arange("y", 10.0, unit="mm"),
            "time": sc.scalar(np.datetime64(T0 + i, "ns")),
        },
    )


def scipp_sum(frame: sc.DataArray, region: Region, dims: list[str]) -> sc.DataArray:
    """The region's sum as scipp computes it: every other pixel masked."""
    cx = np.arange(frame.sizes["x"], dtype=float)
    cy = np.arange(frame.sizes["y"], dtype=float)
    outside = ~reference_mask(region, cx, cy)
    masked = frame.copy()
    masked.masks["outside"] = sc.array(dims=["y", "x"], values=outside)
    summed = masked.sum(dims)
    return summed.drop_masks(list(summed.masks))


def test_a_regions_key_holds_the_sum_inside_with_unit_variance_and_time() -> None:
    regions = (REGIONS[0], REGIONS[4], REGIONS[3])
    sums = KeyRegions("panel", regions)
    for i in range(3):
        frame = image_frame(i)
        derived = dict(sums.derive(frame))
        assert list(derived) == [region_key("panel", r.name) for r in regions]
        for region in regions:
            got = derived[region_key("panel", region.name)]
            sc.testing.assert_identical(got, scipp_sum(frame, region, ["y", "x"]))


def test_the_images_own_masks_leave_their_pixels_out() -> None:
    frame = image_frame(4)
    frame.masks["hot"] = sc.array(dims=["x"], values=np.arange(12) % 3 == 0)
    region = REGIONS[6]
    (got,) = (value for _, value in KeyRegions("panel", (region,)).derive(frame))
    sc.testing.assert_identical(got, scipp_sum(frame, region, ["y", "x"]))


def test_integer_counts_without_variances_sum_as_scipp_sums_them() -> None:
    frame = image_frame(5, variances=False)
    frame.data = frame.data.astype("int64")
    region = REGIONS[1]
    (got,) = (value for _, value in KeyRegions("panel", (region,)).derive(frame))
    sc.testing.assert_identical(got, scipp_sum(frame, region, ["y", "x"]))


def test_a_3d_frame_gives_each_region_a_spectrum_and_its_total() -> None:
    rng = np.random.default_rng(7)
    values = rng.random((5, 10, 12))
    frame = sc.DataArray(
        sc.array(
            dims=["tof", "y", "x"], values=values, variances=values / 2, unit="counts"
        ),
        coords={
            "tof": sc.linspace("tof", 0.0, 50.0, 6, unit="us"),
            "x": sc.arange("x", 12.0, unit="mm"),
            "y": sc.arange("y", 10.0, unit="mm"),
            "time": sc.scalar(np.datetime64(T0, "ns")),
        },
    )
    region = REGIONS[5]
    derived = dict(KeyRegions("volume", (region,)).derive(frame))
    spectrum = derived[spectrum_key("volume", region.name)]
    expected = scipp_sum(frame, region, ["y", "x"])
    sc.testing.assert_allclose(spectrum, expected)
    total = derived[region_key("volume", region.name)]
    sc.testing.assert_allclose(total, expected.sum("tof"))


def test_masks_are_made_again_when_the_geometry_changes() -> None:
    region = Region.box("left", -1.0, 3.0, -1.0, 100.0)
    sums = KeyRegions("panel", (region,))
    frame = image_frame(1)
    before = sums.derive(frame)[0][1].value
    shifted = frame.copy()
    shifted.coords["x"] = shifted.coords["x"] + sc.scalar(2.0, unit="mm")
    after = sums.derive(shifted)[0][1].value
    assert before == frame.values[:, :4].sum()
    assert after == frame.values[:, :2].sum()


def test_a_frame_that_is_not_an_image_is_refused_with_the_key() -> None:
    with pytest.raises(ValueError, match="'monitor'"):
        KeyRegions("monitor", (REGIONS[0],)).derive(sc.scalar(1.0))


def test_regions_persist_through_the_shared_file_for_another_reader(tmp_path) -> None:
    regions = (REGIONS[0], REGIONS[4])
    writer = SharedState(tmp_path / "regions.json")
    writer.update(replace_regions("panel", regions))
    writer.update(replace_regions("other", (REGIONS[1],)))
    reader = SharedState(tmp_path / "regions.json")
    assert regions_of(reader.read()) == {
        "panel": regions,
        "other": (REGIONS[1],),
    }
    writer.update(replace_regions("other", ()))
    assert regions_of(reader.read()) == {"panel": regions}


def test_a_bad_entry_is_left_out_and_the_others_kept() -> None:
    document = {
        "panel": {
            "good": REGIONS[0].to_json(),
            "bad": {"shape": "polygon", "x": [1, 2], "y": [1, 2]},
        }
    }
    assert regions_of(document) == {"panel": (Region.box("good", 2.5, 6.5, 1.5, 4.5),)}
