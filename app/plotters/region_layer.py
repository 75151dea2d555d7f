"""RegionLayer: the regions of interest of an image plot, drawn over the image.

Boxes are a `Rect` glyph, polygons a `Patches` glyph, each name a text at the
region's first corner. An operator's plot also carries Bokeh's edit tools
(decision 089): BoxEditTool draws (shift and drag), moves and deletes boxes
(select, then Backspace); PolyDrawTool draws (double click, clicks, double
click), moves and deletes polygons; PolyEditTool moves their vertices. What
the browser changes arrives here as the sources' new data, read back as
`Region`s; what the shared file says is shown with `show`.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from bokeh.models import (
    BoxEditTool,
    ColumnDataSource,
    GlyphRenderer,
    Patches,
    PolyDrawTool,
    PolyEditTool,
    Rect,
    Scatter,
    Text,
)
from bokeh.plotting import figure

from app.data.regions import BOX, Region

logger = logging.getLogger(__name__)

COLOUR = "#ff2d55"
"""Regions stand out on every palette the images use (Viridis and the like)."""

Edited = Callable[[tuple[Region, ...]], None]


class RegionLayer:
    """The regions drawn over one image figure, editable or not.

    Parameters
    ----------
    fig:
        The image plot's figure.
    label:
        The key, naming the sources (for tests and the browser).
    editable:
        Whether the edit tools are added (an operator's plot).
    """

    def __init__(self, fig: figure, label: str, *, editable: bool) -> None:
        self.boxes = ColumnDataSource(
            {"x": [], "y": [], "width": [], "height": [], "name": []},
            name=f"region-boxes:{label}",
        )
        self.polygons = ColumnDataSource(
            {"xs": [], "ys": [], "name": []}, name=f"region-polygons:{label}"
        )
        self.names = ColumnDataSource(
            {"x": [], "y": [], "text": []}, name=f"region-names:{label}"
        )
        line = {"line_color": COLOUR, "line_width": 2}
        fill = {"fill_color": COLOUR, "fill_alpha": 0.08}
        # Renderers made by hand: the figure's helpers add a glyph for
        # unselected and muted rows each, three models a region kind that
        # every image plot would carry (decision 069 counts them).
        box_renderer = GlyphRenderer(
            data_source=self.boxes,
            glyph=Rect(x="x", y="y", width="width", height="height", **line, **fill),
        )
        polygon_renderer = GlyphRenderer(
            data_source=self.polygons, glyph=Patches(xs="xs", ys="ys", **line, **fill)
        )
        names = GlyphRenderer(
            data_source=self.names,
            glyph=Text(
                x="x",
                y="y",
                text="text",
                text_color=COLOUR,
                text_font_size="11px",
                text_baseline="bottom",
            ),
        )
        self._renderers = [box_renderer, polygon_renderer, names]
        fig.renderers.extend(self._renderers)
        self.tools: list[Any] = []
        if editable:
            vertices = GlyphRenderer(
                data_source=ColumnDataSource({"x": [], "y": []}),
                glyph=Scatter(
                    x="x", y="y", size=7, fill_color=COLOUR, line_color=COLOUR
                ),
                name=f"region-vertices:{label}",
            )
            fig.renderers.append(vertices)
            self.tools = [
                BoxEditTool(
                    renderers=[box_renderer],
                    empty_value="",
                    description="Draw a box region (shift+drag), move it, "
                    "delete it (select, Backspace)",
                    name=f"region-box-tool:{label}",
                ),
                PolyDrawTool(
                    renderers=[polygon_renderer],
                    empty_value="",
                    vertex_renderer=vertices,
                    description="Draw a polygon region (double click, click, "
                    "double click), move it, delete it (select, Backspace)",
                    name=f"region-polygon-tool:{label}",
                ),
                PolyEditTool(
                    renderers=[polygon_renderer],
                    vertex_renderer=vertices,
                    description="Move a polygon region's vertices "
                    "(double click it, then drag them)",
                    name=f"region-vertex-tool:{label}",
                ),
            ]
            fig.add_tools(*self.tools)
        self._edited: Edited | None = None
        self._showing = False
        self._shown: tuple[Region, ...] = ()
        self.boxes.on_change("data", self._on_data)
        self.polygons.on_change("data", self._on_data)

    @property
    def visible(self) -> bool:
        """Whether the regions are drawn."""
        return self._renderers[0].visible

    @visible.setter
    def visible(self, visible: bool) -> None:
        for renderer in self._renderers:
            renderer.visible = visible

    def on_edit(self, edited: Edited | None) -> None:
        """Call ``edited`` with every region after a change made in the browser."""
        self._edited = edited

    @property
    def shown(self) -> tuple[Region, ...]:
        """The regions as the layer shows them."""
        return self._shown

    def show(self, regions: Sequence[Region]) -> None:
        """Draw exactly ``regions`` (under the document's lock, if served)."""
        regions = tuple(regions)
        if regions == self._shown and regions == self.drawn():
            return
        boxes = [region for region in regions if region.shape == BOX]
        polygons = [region for region in regions if region.shape != BOX]
        self._showing = True
        try:
            self.boxes.data = {
                "x": [(r.x[0] + r.x[1]) / 2 for r in boxes],
                "y": [(r.y[0] + r.y[1]) / 2 for r in boxes],
                "width": [abs(r.x[1] - r.x[0]) for r in boxes],
                "height": [abs(r.y[1] - r.y[0]) for r in boxes],
                "name": [r.name for r in boxes],
            }
            # A polygon still being drawn (under three vertices) stays: the
            # operator's tool is adding to it.
            drawing = [
                (list(xs), list(ys))
                for xs, ys in zip(
                    self.polygons.data["xs"], self.polygons.data["ys"], strict=True
                )
                if len(xs) < 3
            ]
            self.polygons.data = {
                "xs": [list(r.x) for r in polygons] + [xs for xs, _ in drawing],
                "ys": [list(r.y) for r in polygons] + [ys for _, ys in drawing],
                "name": [r.name for r in polygons] + [""] * len(drawing),
            }
            self._show_names(regions)
        finally:
            self._showing = False
        self._shown = regions

    def drawn(self) -> tuple[Region, ...]:
        """The regions the sources hold: every box, and every polygon of at
        least three vertices; one without a name gets the next free ``rN``."""
        boxes = self.boxes.data
        polygons = self.polygons.data
        found: list[tuple[str | None, str, tuple[float, ...], tuple[float, ...]]] = []
        for x, y, width, height, name in zip(
            boxes["x"],
            boxes["y"],
            boxes["width"],
            boxes["height"],
            _names(boxes, len(boxes["x"])),
            strict=True,
        ):
            w, h = abs(float(width)) / 2, abs(float(height)) / 2
            x, y = float(x), float(y)
            found.append((name, BOX, (x - w, x + w), (y - h, y + h)))
        for xs, ys, name in zip(
            polygons["xs"],
            polygons["ys"],
            _names(polygons, len(polygons["xs"])),
            strict=True,
        ):
            xs, ys = [float(v) for v in xs], [float(v) for v in ys]
            if len(xs) >= 3:
                found.append((name, "polygon", tuple(xs), tuple(ys)))
        taken = {name for name, *_ in found if name}
        free = (f"r{i}" for i in itertools.count(1) if f"r{i}" not in taken)
        regions = []
        for name, shape, xs, ys in found:
            if not name or name in {r.name for r in regions}:
                name = next(free)
            if not all(math.isfinite(v) for v in (*xs, *ys)):
                continue
            regions.append(Region(name, shape, xs, ys))
        return tuple(regions)

    def _show_names(self, regions: Sequence[Region]) -> None:
        self.names.data = {
            "x": [min(r.x) for r in regions],
            "y": [max(r.y) for r in regions],
            "text": [r.name for r in regions],
        }

    def _on_data(self, attr: str, old: Any, new: Any) -> None:
        if self._showing:
            return
        edited = self._edited
        if edited is None:
            return
        try:
            regions = self.drawn()
        except (TypeError, ValueError) as error:
            logger.warning("regions drawn in the browser not read: %s", error)
            return
        edited(regions)


def _names(data: dict[str, Any], rows: int) -> list[str]:
    names = list(data.get("name", []))
    names += [""] * (rows - len(names))
    return [name if isinstance(name, str) else "" for name in names[:rows]]
