"""Layout files: which plots a page shows, as versioned JSON (decision 053).

Schema, version 1::

    {"version": 1,
     "plots": [{"key": "monitor/m1", "view": "window", "frames": 100},
               {"key": "log/motor_x", "view": "time_window", "seconds": 300},
               {"key": "detector/panel_0", "view": "aggregate",
                "seconds": 10, "op": "sum"},
               {"key": "detector/panel_0", "view": "pixel histogram"},
               {"key": "log/scan_counts", "view": "against",
                "x_key": "log/motor_x", "divide_by": "log/proton_current"},
               {"key": "monitor/m2", "view": "latest",
                "reference": "0123456789abcdef0123456789abcdef"}],
     "regions": {"detector/panel_0": {"r1": {"shape": "box",
                                             "x": [-20, 20], "y": [-10, 10]}}}}

``view`` is ``latest``, ``window`` (``frames``), ``time_window`` (``seconds``),
``aggregate`` (``seconds``, ``op``), ``against`` (``x_key``, the 0-D key
plotted against; chosen on the page if left out) or the name of a custom view
(`app.page.custom_views`). ``divide_by`` names a 0-D key each frame of a
built-in view but the aggregate is divided by (decision 090). ``reference``
names a frame kept in the state directory (`app.page.references`, decision
094). Older layouts without these fields read as before. The same JSON,
base64url-encoded, is the page URL's ``layout`` argument and this browser's
stored layout. ``regions`` (optional, the form of ``regions.json``, decision
087) are the regions of interest of the layout's images, written by *Download
layout*; a server started with the file (``--layout``) gives them to keys that
have none (decision 089).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.data import Retention
from app.data.regions import Region
from app.limits import (
    MAX_LAYOUT_FILE_CHARS,
    MAX_LAYOUT_PLOTS,
    MAX_LAYOUT_SECONDS,
    MAX_LAYOUT_URL_CHARS,
    MAX_WINDOW_SIZE,
)
from app.page.references import REFERENCE_NAME
from app.plot_spec import (
    AGAINST,
    AGGREGATE,
    AGGREGATE_OPS,
    BUILT_IN_VIEWS,
    DEFAULT_AGGREGATE_SECONDS,
    DEFAULT_FRAMES,
    DEFAULT_WINDOW_SECONDS,
    LATEST,
    TIME_WINDOW,
    WINDOW,
    PlotSpec,
)

LAYOUT_VERSION = 1


class LayoutError(ValueError):
    """A layout that cannot be used, with what is wrong in words for the operator."""


@dataclass(frozen=True)
class Layout:
    """The plots of a page, in order."""

    plots: tuple[PlotSpec, ...]
    regions: Mapping[str, tuple[Region, ...]] = field(
        default_factory=dict, compare=False
    )
    """Regions of interest by image key: a layout file's, not a link's."""

    def to_json(self) -> str:
        """The layout file's text (plots of string keys only, and the regions)."""
        document = self._document()
        if self.regions:
            document["regions"] = {
                key: {region.name: region.to_json() for region in regions}
                for key, regions in self.regions.items()
            }
        return json.dumps(document, indent=1)

    def to_url(self) -> str:
        """The compact, URL-safe form (the page URL's ``layout`` argument)."""
        text = json.dumps(self._document(), separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def history(self) -> dict[Hashable, Retention]:
        """What each key's buffer keeps for these plots, watched or not: a
        restart restores into it before any page opens (decision 048)."""
        kept: dict[Hashable, Retention] = {}
        for plot in self.plots:
            retention = plot.extractor().retention()
            known = kept.get(plot.key)
            kept[plot.key] = retention if known is None else known.union(retention)
        return kept

    def _document(self) -> dict[str, Any]:
        plots = [plot.as_json() for plot in self.plots if isinstance(plot.key, str)]
        return {"version": LAYOUT_VERSION, "plots": plots}


def parse_layout(text: str, custom_views: tuple[str, ...] = ()) -> Layout:
    """Read a layout file's text; raise `LayoutError` saying what is wrong."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise LayoutError(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise LayoutError("expected a JSON object with 'version' and 'plots'")
    version = document.get("version")
    if version != LAYOUT_VERSION:
        raise LayoutError(
            f"layout version {version!r} is not supported: this dashboard reads "
            f"version {LAYOUT_VERSION}"
        )
    plots = document.get("plots")
    if not isinstance(plots, list):
        raise LayoutError("'plots' must be a list")
    if len(plots) > MAX_LAYOUT_PLOTS:
        raise LayoutError(
            f"{len(plots)} plots, more than a page shows (at most {MAX_LAYOUT_PLOTS})"
        )
    views = BUILT_IN_VIEWS + tuple(custom_views)
    return Layout(
        tuple(_plot(i, p, views) for i, p in enumerate(plots)),
        _regions(document.get("regions", {})),
    )


def _regions(document: Any) -> dict[str, tuple[Region, ...]]:
    if not isinstance(document, dict):
        raise LayoutError("'regions' must be an object of image keys")
    regions = {}
    for key, entries in document.items():
        if not isinstance(entries, dict):
            raise LayoutError(f"regions of {key!r} must be an object of names")
        found = []
        for name, entry in entries.items():
            try:
                found.append(Region.from_json(name, entry))
            except (KeyError, TypeError, ValueError) as error:
                raise LayoutError(f"region {name!r} of {key!r}: {error}") from None
        regions[str(key)] = tuple(found)
    return regions


def parse_url_layout(text: str, custom_views: tuple[str, ...] = ()) -> Layout:
    """Read the page URL's ``layout`` argument (see `Layout.to_url`).

    A text longer than `MAX_LAYOUT_URL_CHARS` is refused unread: a link that
    long does not travel (decision 073).
    """
    if len(text) > MAX_LAYOUT_URL_CHARS:
        raise LayoutError(
            f"layout link is {len(text):,} characters long, longer than the "
            f"{MAX_LAYOUT_URL_CHARS:,} a link may carry: share such a layout "
            "as a file (Download layout)"
        )
    return parse_stored_layout(text, custom_views)


def parse_stored_layout(text: str, custom_views: tuple[str, ...] = ()) -> Layout:
    """Read a layout in its URL form (this browser's stored copy), longer than a
    link carries but at most `MAX_LAYOUT_FILE_CHARS` (decision 084)."""
    if len(text) > MAX_LAYOUT_FILE_CHARS:
        raise LayoutError(
            f"layout is {len(text):,} characters long, more than the "
            f"{MAX_LAYOUT_FILE_CHARS:,} a layout may take"
        )
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        decoded = raw.decode()
    except (binascii.Error, ValueError) as error:
        raise LayoutError(f"the URL's layout is not base64url JSON: {error}") from error
    return parse_layout(decoded, custom_views)


def read_layout_file(path: str | Path, custom_views: tuple[str, ...] = ()) -> Layout:
    """Read a layout file; raise `LayoutError` naming the file and the fault.

    A file larger than `MAX_LAYOUT_FILE_CHARS` bytes is refused unread.
    """
    try:
        size = Path(path).stat().st_size
        if size > MAX_LAYOUT_FILE_CHARS:
            raise LayoutError(
                f"layout file {path}: {size:,} bytes, more than the "
                f"{MAX_LAYOUT_FILE_CHARS:,} a layout may take"
            )
        text = Path(path).read_text()
    except OSError as error:
        raise LayoutError(f"layout file {path}: {error.strerror}") from error
    try:
        return parse_layout(text, custom_views)
    except LayoutError as error:
        raise LayoutError(f"layout file {path}: {error}") from error


def _plot(index: int, entry: Any, views: tuple[str, ...]) -> PlotSpec:
    where = f"plot {index + 1}"
    if not isinstance(entry, dict):
        raise LayoutError(f"{where}: expected an object with 'key' and 'view'")
    fields = {"key", "view", "frames", "seconds", "op", "x_key", "divide_by"}
    unknown = set(entry) - fields - {"reference"}
    if unknown:
        raise LayoutError(f"{where}: unknown fields {sorted(unknown)}")
    key = entry.get("key")
    if not isinstance(key, str) or not key:
        raise LayoutError(f"{where}: 'key' must be a non-empty string")
    where = f"{where} ({key!r})"
    view = entry.get("view", LATEST)
    if view not in views:
        raise LayoutError(f"{where}: unknown view {view!r}, expected one of {views}")
    frames, seconds, op = entry.get("frames"), entry.get("seconds"), entry.get("op")
    if view == WINDOW:
        frames = DEFAULT_FRAMES if frames is None else frames
        if not isinstance(frames, int) or not 1 <= frames <= MAX_WINDOW_SIZE:
            raise LayoutError(
                f"{where}: 'frames' must be an integer from 1 to {MAX_WINDOW_SIZE}"
            )
    elif frames is not None:
        raise LayoutError(f"{where}: 'frames' belongs to the 'window' view only")
    if view in (TIME_WINDOW, AGGREGATE):
        default = (
            DEFAULT_WINDOW_SECONDS if view == TIME_WINDOW else DEFAULT_AGGREGATE_SECONDS
        )
        seconds = default if seconds is None else seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise LayoutError(f"{where}: 'seconds' must be a number")
        if not (math.isfinite(seconds) and 0 < seconds <= MAX_LAYOUT_SECONDS):
            raise LayoutError(
                f"{where}: 'seconds' must be a number more than 0 and at most "
                f"{MAX_LAYOUT_SECONDS:,g}, got {seconds}"
            )
        seconds = float(seconds)
    elif seconds is not None:
        raise LayoutError(f"{where}: 'seconds' belongs to time windows and aggregates")
    if view == AGGREGATE:
        op = "sum" if op is None else op
        if op not in AGGREGATE_OPS:
            raise LayoutError(f"{where}: 'op' must be one of {AGGREGATE_OPS}")
    elif op is not None:
        raise LayoutError(f"{where}: 'op' belongs to the 'aggregate' view only")
    x_key, divide_by = entry.get("x_key"), entry.get("divide_by")
    if x_key is not None and view != AGAINST:
        raise LayoutError(f"{where}: 'x_key' belongs to the 'against' view only")
    _check_key(where, "x_key", x_key)
    if divide_by is not None and (view == AGGREGATE or view not in BUILT_IN_VIEWS):
        raise LayoutError(
            f"{where}: 'divide_by' divides frame by frame: not in the {view!r} view"
        )
    _check_key(where, "divide_by", divide_by)
    reference = entry.get("reference")
    if reference is not None and not (
        isinstance(reference, str) and REFERENCE_NAME.fullmatch(reference)
    ):
        raise LayoutError(
            f"{where}: 'reference' must be the 32 hex digits naming a kept reference"
        )
    return PlotSpec(
        key=key,
        view=view,
        frames=frames,
        seconds=seconds,
        op=op,
        x_key=x_key,
        divide_by=divide_by,
        reference=reference,
    )


def _check_key(where: str, field: str, key: Any) -> None:
    """A key a plot is paired with: absent, or a non-empty string."""
    if key is not None and (not isinstance(key, str) or not key):
        raise LayoutError(f"{where}: {field!r} must be a non-empty string")
