import numpy as np
import pytest
import scipp as sc
from bokeh.models import HoverTool, LinearColorMapper, LogColorMapper

from app.data import DataService
from app.plotters import ImagePlotter
from tests.plotters.drawn_models import colour_bar
from tests.plotters.plotter_frames import T0_NS, image


def test_image_shows_latest_frame_with_extent_and_colorbar_unit(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/panel_0")
    plotter.subscribe(data_service)
    data_service["detector/panel_0"] = image(0)
    data_service["detector/panel_0"] = image(1, unit="counts/s")
    plotter.draw(now_ns=T0_NS)

    data = plotter.source.data
    np.testing.assert_allclose(data["image"][0], image(1).values)
    # x holds centres 0..3 (widened by half a pixel), y holds edges -3..3.
    assert (data["x"][0], data["dw"][0]) == (-0.5, 4.0)
    assert (data["y"][0], data["dh"][0]) == (-3.0, 6.0)
    (color_bar,) = [r for r in plotter.root.right if hasattr(r, "color_mapper")]
    assert color_bar.title == "counts/s"
    # The automatic range holds the frame with a margin of 5% of its span.
    mapper = color_bar.color_mapper
    assert (mapper.low, mapper.high) == pytest.approx((0.45, 12.55))
    assert plotter.root.xaxis[0].axis_label == "x [mm]"


def test_log_color_switches_mapper_and_hides_non_positive_pixels(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/panel_0")
    plotter.subscribe(data_service)
    data_service["detector/panel_0"] = image(0)
    plotter.draw(now_ns=T0_NS)
    assert isinstance(colour_bar(plotter).color_mapper, LinearColorMapper)

    figure = plotter.root

    plotter.log_color = True

    assert plotter.root is figure
    mapper = colour_bar(plotter).color_mapper
    assert isinstance(mapper, LogColorMapper)
    # Every image of the figure (plain and strips) is coloured as its bar says.
    assert all(r.glyph.color_mapper is mapper for r in figure.renderers)
    assert np.isnan(plotter.source.data["image"][0][0, 0])
    assert 0.5 < mapper.low < 1.0


def test_hover_shows_pixel_value_and_position_in_the_frame_units(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/panel_0")
    plotter.subscribe(data_service)
    data_service["detector/panel_0"] = image(0)
    plotter.draw(now_ns=T0_NS)
    (hover,) = plotter.root.select(HoverTool)
    assert hover.tooltips == [
        ("x [mm]", "$x"),
        ("y [mm]", "$y"),
        ("value [counts]", "@image"),
    ]


def geometric_image() -> sc.DataArray:
    """4 x 6 bins, x edges from 1 to 1000 mm by a constant factor, one bright bin."""
    values = np.ones((4, 6))
    values[1, 4] = 100.0
    return sc.DataArray(
        sc.array(dims=["y", "x"], values=values, unit="counts"),
        coords={
            "x": sc.array(dims=["x"], values=np.geomspace(1.0, 1000.0, 7), unit="mm"),
            "y": sc.linspace("y", 0.0, 4.0, 5, unit="mm"),
        },
    )


def test_bins_of_geometric_edges_go_with_their_edges_to_be_drawn_in_strips(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/tof")
    plotter.subscribe(data_service)
    data_service["detector/tof"] = geometric_image()
    plotter.draw(now_ns=T0_NS)

    strips = plotter.strips.data
    np.testing.assert_allclose(strips["edges"][0], np.geomspace(1.0, 1000.0, 7))
    assert strips["axis"] == ["x"]
    assert (strips["start"], strips["span"]) == ([0.0], [4.0])
    np.testing.assert_allclose(strips["image"][0], geometric_image().values)
    # Nothing is drawn as an evenly spaced image on top of it.
    assert len(plotter.source.data["image"]) == 0


def test_uneven_rows_are_strips_along_y(data_service: DataService) -> None:
    frame = geometric_image().transpose(["x", "y"]).copy()
    data_service["detector/tof"] = frame
    plotter = ImagePlotter("detector/tof")
    plotter.subscribe(data_service)
    plotter.draw(now_ns=T0_NS)
    assert plotter.strips.data["axis"] == ["y"]
    np.testing.assert_allclose(
        plotter.strips.data["edges"][0], np.geomspace(1.0, 1000.0, 7)
    )


def test_even_edges_are_drawn_as_one_image(data_service: DataService) -> None:
    plotter = ImagePlotter("detector/panel_0")
    plotter.subscribe(data_service)
    data_service["detector/panel_0"] = image(0)
    plotter.draw(now_ns=T0_NS)
    assert len(plotter.source.data["image"]) == 1
    assert len(plotter.strips.data["image"]) == 0


def test_more_uneven_bins_than_strips_are_resampled_onto_even_cells_in_place(
    data_service: DataService,
) -> None:
    edges = np.geomspace(1.0, 1000.0, 2001)
    values = np.zeros((30, 2000))
    values[:, 1500] = 5.0
    data_service["detector/big"] = sc.DataArray(
        sc.array(dims=["y", "x"], values=values),
        coords={"x": sc.array(dims=["x"], values=edges, unit="us")},
    )
    plotter = ImagePlotter("detector/big")
    plotter.subscribe(data_service)
    plotter.draw(now_ns=T0_NS)

    data = plotter.source.data
    (drawn,) = data["image"]
    cells = drawn.shape[1]
    x = data["x"][0] + (np.arange(cells) + 0.5) * data["dw"][0] / cells
    lit = x[drawn[0] == 5.0]
    # Every lit cell's centre lies in the bright bin.
    assert lit.size
    assert lit.min() >= edges[1500]
    assert lit.max() <= edges[1501]


def test_masked_pixels_are_left_undrawn_and_out_of_the_colour_range(
    data_service: DataService,
) -> None:
    frame = image(0)
    frame.values[0, 0] = 1000.0
    frame.masks["hot"] = sc.array(dims=["x"], values=[True, False, False, False])
    data_service["detector/panel_0"] = frame
    plotter = ImagePlotter("detector/panel_0")
    plotter.subscribe(data_service)
    plotter.draw(now_ns=T0_NS)

    drawn = plotter.source.data["image"][0]
    assert np.isnan(drawn[:, 0]).all()
    assert np.isfinite(drawn[:, 1:]).all()
    assert colour_bar(plotter).color_mapper.high < 1000.0


def test_an_image_of_nothing_but_nan_says_so_in_its_header(
    data_service: DataService,
) -> None:
    frame = image(0)
    frame.values[...] = np.nan
    data_service["detector/panel_0"] = frame
    plotter = ImagePlotter("detector/panel_0")
    plotter.subscribe(data_service)
    plotter.draw(now_ns=T0_NS)
    assert "· all values NaN" in plotter.header
    assert "all values NaN" in plotter.header_model().text


def test_axes_of_other_units_are_not_held_to_one_scale(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/tof")
    plotter.subscribe(data_service)
    data_service["detector/tof"] = geometric_image()  # x and y in mm
    plotter.draw(now_ns=T0_NS)
    assert plotter.root.match_aspect

    frame = geometric_image()
    frame.coords["x"] = sc.array(dims=["x"], values=np.geomspace(10, 1e5, 7), unit="us")
    data_service["detector/tof"] = frame
    plotter.draw(now_ns=T0_NS)
    assert not plotter.root.match_aspect


def test_an_image_with_a_reference_shows_the_frame_less_the_reference(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/panel_0")
    plotter.use_reference(image(2))
    plotter.subscribe(data_service)
    data_service["detector/panel_0"] = image(7)
    plotter.draw(now_ns=T0_NS)

    np.testing.assert_allclose(plotter.source.data["image"][0], np.full((3, 4), 5.0))
    assert "less the reference of 2026-09-21 14:13:20 UTC" in plotter.header


def test_a_reference_that_does_not_fit_the_frame_is_said_and_the_frame_shown(
    data_service: DataService,
) -> None:
    plotter = ImagePlotter("detector/panel_0")
    plotter.use_reference(image(2)["x", :2])
    plotter.subscribe(data_service)
    data_service["detector/panel_0"] = image(7)
    plotter.draw(now_ns=T0_NS)

    np.testing.assert_allclose(plotter.source.data["image"][0], image(7).values)
    assert "does not fit" in plotter.header


def test_a_volumes_reference_frame_is_the_image_drawn(
    data_service: DataService,
) -> None:
    volume = sc.concat([image(1), image(2)], "tof")
    plotter = ImagePlotter("detector/volume")
    plotter.subscribe(data_service)
    data_service["detector/volume"] = volume
    plotter.draw(now_ns=T0_NS)

    assert sc.identical(plotter.reference_frame(), volume.sum("tof"))
