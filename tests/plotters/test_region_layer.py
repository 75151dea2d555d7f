"""Tests of the regions drawn over an image plot and read back from the browser."""

from __future__ import annotations

from bokeh.models import BoxEditTool, PolyDrawTool, PolyEditTool

from app.data.regions import Region
from app.plotters import ImagePlotter
from app.plotters.region_layer import RegionLayer

BOX = Region.box("left", -10.0, -2.0, 1.0, 5.0)
POLYGON = Region.polygon("tri", [0.0, 4.0, 0.0], [0.0, 0.0, 4.0])


def layer(*, editable: bool = True) -> RegionLayer:
    return RegionLayer(ImagePlotter("panel").root, "panel", editable=editable)


def test_shown_regions_are_read_back_as_they_were() -> None:
    regions = layer()
    regions.show((BOX, POLYGON))
    assert regions.boxes.data["x"] == [-6.0]
    assert regions.polygons.data["xs"] == [[0.0, 4.0, 0.0]]
    assert regions.names.data["text"] == ["left", "tri"]
    assert regions.drawn() == (BOX, POLYGON)


def test_a_box_and_a_polygon_drawn_in_the_browser_arrive_named() -> None:
    regions = layer()
    regions.show((BOX,))
    edits = []
    regions.on_edit(edits.append)
    # What the edit tools send: new rows with the tools' empty value as name.
    regions.boxes.data = {
        "x": [-6.0, 10.0],
        "y": [3.0, 10.0],
        "width": [8.0, 2.0],
        "height": [4.0, 2.0],
        "name": ["left", ""],
    }
    regions.polygons.data = {"xs": [[0, 4, 0], [1, 2]], "ys": [[0, 0, 4], [1, 2]]}
    assert edits[-1] == (
        BOX,
        Region.box("r1", 9.0, 11.0, 9.0, 11.0),
        # A polygon still being drawn (two vertices) is not a region yet.
        Region.polygon("r2", [0, 4, 0], [0, 0, 4]),
    )


def test_showing_regions_is_not_taken_for_an_edit() -> None:
    regions = layer()
    edits = []
    regions.on_edit(edits.append)
    regions.show((BOX, POLYGON))
    assert edits == []


def test_only_an_operators_plot_has_the_edit_tools() -> None:
    tools = {type(tool) for tool in layer().tools}
    assert tools == {BoxEditTool, PolyDrawTool, PolyEditTool}
    plot = ImagePlotter("panel")
    RegionLayer(plot.root, "panel", editable=False)
    assert not any(
        isinstance(tool, BoxEditTool | PolyDrawTool | PolyEditTool)
        for tool in plot.root.tools
    )


def test_showing_regions_keeps_a_polygon_still_being_drawn() -> None:
    regions = layer()
    regions.polygons.data = {"xs": [[1.0, 2.0]], "ys": [[1.0, 1.0]], "name": [""]}
    regions.show((BOX, POLYGON))
    assert regions.polygons.data["xs"] == [[0.0, 4.0, 0.0], [1.0, 2.0]]
    assert regions.drawn() == (BOX, POLYGON)
