import numpy as np
import pytest
from bokeh.models import HoverTool, LinearColorMapper, LogColorMapper

from app.data import DataService
from app.plotters import ImagePlotter

from .plotter_frames import T0_NS, image


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
    assert isinstance(plotter._mapper, LinearColorMapper)

    figure = plotter.root

    plotter.log_color = True

    assert plotter.root is figure
    assert isinstance(plotter._mapper, LogColorMapper)
    (color_bar,) = [r for r in figure.right if hasattr(r, "color_mapper")]
    assert color_bar.color_mapper is plotter._mapper
    assert figure.renderers[0].glyph.color_mapper is plotter._mapper
    assert np.isnan(plotter.source.data["image"][0][0, 0])
    assert 0.5 < plotter._mapper.low < 1.0


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
