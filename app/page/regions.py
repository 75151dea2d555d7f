"""Editing an image plot's regions of interest, shared by every page.

The regions of a key live in the state directory's ``regions.json``
(decision 029): every session draws them over its plots of the key and
redraws them when the file changes; an operator's edit in the browser is
written there, audited, and summed by every process's ingestion from its
next frame on. Editing is an operator's action (decision 080): a viewer's
plot has no edit tools, and an edit that arrives anyway is refused here.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

import panel as pn
from bokeh.document import Document
from bokeh.models import Toggle
from bokeh.plotting import figure
from panel.io.state import set_curdoc

from app.audit import REFUSED, audit_log
from app.bokeh_buttons import button_sheet, header_button
from app.data.regions import (
    REGIONS_FILE,
    Region,
    add_missing_regions,
    regions_of,
    replace_regions,
)
from app.page.custom_views import custom_views
from app.page.in_document import soon_in
from app.page.layout_file import LayoutError, read_layout_file
from app.plotters import Plotter
from app.plotters.image import ImagePlotter
from app.plotters.region_layer import RegionLayer
from app.roles import EDIT_REGIONS, may
from app.shared_state import Document as SharedDocument
from app.shared_state import SharedState, shared_state

logger = logging.getLogger(__name__)

SETTLE_MS = 400
"""An edit is written once the browser has been quiet this long: dragging a
box sends a change per mouse move, the file and the audit want one."""


class RegionEditor:
    """Keeps one image plot's regions and the shared file of regions in step.

    The regions are drawn (a `RegionLayer`, about 30 models) only once the
    key has some or the operator turns on ``regions``: an image without
    regions costs its page the toggle alone (decision 069 counts models).

    Parameters
    ----------
    key:
        The image key.
    fig:
        The image plot's figure.
    state:
        The shared file.
    document:
        The session's document, under whose lock models change; None (tests)
        applies everything at once.
    """

    def __init__(
        self,
        key: str,
        fig: figure,
        state: SharedState,
        document: Document | None,
    ) -> None:
        self.key = key
        self._fig = fig
        self._state = state
        self._document = document
        self._pending: tuple[Region, ...] | None = None
        self._generation = 0
        self.layer: RegionLayer | None = None
        permission = may(EDIT_REGIONS)
        self._editable = permission.allowed
        self.toggle = header_button(Toggle, "regions", 80, "regions", button_sheet())
        self.toggle.on_change(
            "active", lambda attr, old, new: self._soon(self._on_toggle)
        )
        self._show(regions_of(state.read()).get(key, ()))
        self._stop = state.watch(self._on_file)
        if document is not None:
            document.on_session_destroyed(lambda context: self.stop())

    def stop(self) -> None:
        """Stop following the shared file (the session ended)."""
        self._stop()
        if self.layer is not None:
            self.layer.on_edit(None)

    def _layer(self) -> RegionLayer:
        if self.layer is None:
            self.layer = RegionLayer(self._fig, self.key, editable=self._editable)
            self.layer.on_edit(self._on_edit)
        return self.layer

    def _on_toggle(self) -> None:
        layer = self._layer()
        layer.visible = self.toggle.active

    def _soon(self, action: Callable[[], None]) -> None:
        soon_in(self._document, action)

    def _on_file(self, document: SharedDocument) -> None:
        # From the watch thread: models change under the document's lock.
        regions = regions_of(document).get(self.key, ())
        self._soon(lambda: self._show(regions))

    def _show(self, regions: tuple[Region, ...]) -> None:
        if self._pending is not None:  # an edit not yet written wins
            return
        if regions or self.layer is not None:
            self._layer().show(regions)
            if regions and not self.toggle.active:
                self.toggle.active = True

    def _on_edit(self, regions: tuple[Region, ...]) -> None:
        document = self._document
        with set_curdoc(document) if document else contextlib.nullcontext():
            permission = may(EDIT_REGIONS)
        if not permission.allowed:
            # Only a page changed in the browser sends this: refused, told
            # to the audit, and the shared regions drawn again.
            audit_log().record(permission.who, EDIT_REGIONS, self.key, REFUSED)
            self._layer().show(regions_of(self._state.read()).get(self.key, ()))
            return
        self._pending = regions
        self._generation += 1
        generation = self._generation
        if self._document is None:
            self._write(generation, permission.who)
            return
        self._document.add_timeout_callback(
            lambda: self._write(generation, permission.who), SETTLE_MS
        )

    def _write(self, generation: int, who: str) -> None:
        regions = self._pending
        if generation != self._generation or regions is None:
            return  # a later edit follows
        self._pending = None
        started = time.perf_counter()
        # This process's ingestion and other sessions learn of it at once.
        self._state.update(replace_regions(self.key, regions))
        audit_log().record(who, EDIT_REGIONS, self.key)
        logger.info(
            "key %r: %d regions written in %.1f ms",
            self.key,
            len(regions),
            1e3 * (time.perf_counter() - started),
        )
        # New regions get their names (r1, r2...) in the browser too.
        self._layer().show(regions)


def edit_regions(plotter: Plotter, state_dir: str | Path) -> RegionEditor | None:
    """Draw the regions of an image plot's key over it, editable by an
    operator; None for a plot that is not an image of a string key. The
    card shows the editor's ``toggle``."""
    if not isinstance(plotter, ImagePlotter) or not isinstance(plotter.key, str):
        return None
    return RegionEditor(
        plotter.key,
        plotter.root,
        shared_state(state_dir, REGIONS_FILE),
        pn.state.curdoc,
    )


def regions_of_keys(
    keys: Iterable[Hashable], state_dir: str | Path
) -> dict[str, tuple[Region, ...]]:
    """The regions of these keys now, for a layout file (*Download layout*)."""
    regions = regions_of(shared_state(state_dir, REGIONS_FILE).read())
    return {key: regions[key] for key in dict.fromkeys(keys) if key in regions}


def give_layout_regions(layout_file: str | Path, state_dir: str | Path) -> None:
    """Give the regions of a ``--layout`` file to the keys that have none.

    Run at each server process's start: keys whose regions an operator
    changed keep them. A file that cannot be read is said by every page.
    """
    try:
        layout = read_layout_file(Path(layout_file), tuple(custom_views()))
    except LayoutError as error:
        logger.warning("regions of the layout file not read: %s", error)
        return
    if layout.regions:
        state = shared_state(state_dir, REGIONS_FILE)
        state.update(add_missing_regions(layout.regions))
