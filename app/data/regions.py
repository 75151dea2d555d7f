"""Regions of interest: what operators draw on an image, and the sums inside.

A region is a rectangle (``box``) or a ``polygon`` in the image's data
coordinates (its x and y coords). A pixel belongs to a region when its centre
lies inside the region or on its boundary (decision 087): a pixel is never
split. The mask of a region on an image geometry is computed once; each frame
then costs a sum over the pixels of the region's bounding rows and columns.

Each region of an image key ``K`` named ``N`` is a key of its own: ``K/roi/N``
holds the sum inside per frame (0-D, with the frame's time, unit and
variances), and for a 3-D frame (e.g. ``tof, y, x``) ``K/roi/N/spectrum``
holds the sum over the region's pixels along the first dim (1-D).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipp as sc

logger = logging.getLogger(__name__)

BOX, POLYGON = "box", "polygon"
SHAPES = (BOX, POLYGON)
REGIONS_FILE = "regions.json"
"""The shared file (decision 029) holding every key's regions."""
TIME = "time"

Document = dict[str, Any]


def region_key(image_key: str, name: str) -> str:
    """The key of the sum inside region ``name`` of ``image_key``."""
    return f"{image_key}/roi/{name}"


def spectrum_key(image_key: str, name: str) -> str:
    """The key of the spectrum of region ``name`` of a 3-D ``image_key``."""
    return f"{region_key(image_key, name)}/spectrum"


@dataclass(frozen=True)
class Region:
    """One region: its name, shape and vertices in data coordinates.

    A box has two x and two y (its corners, in any order); a polygon at least
    three vertices, closed implicitly.
    """

    name: str
    shape: str
    x: tuple[float, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(
                f"region {self.name!r}: a name must be non-empty and hold no '/'"
            )
        if self.shape not in SHAPES:
            raise ValueError(
                f"region {self.name!r}: shape {self.shape!r} not in {SHAPES}"
            )
        if len(self.x) != len(self.y):
            raise ValueError(
                f"region {self.name!r}: {len(self.x)} x but {len(self.y)} y"
            )
        if self.shape == BOX and len(self.x) != 2:
            raise ValueError(
                f"region {self.name!r}: a box needs 2 corners, got {len(self.x)}"
            )
        if len(self.x) < 3 and self.shape == POLYGON:
            raise ValueError(
                f"region {self.name!r}: a polygon needs at least 3 vertices, "
                f"got {len(self.x)}"
            )
        if not all(math.isfinite(v) for v in (*self.x, *self.y)):
            raise ValueError(f"region {self.name!r}: coordinates must be finite")

    @classmethod
    def box(cls, name: str, x0: float, x1: float, y0: float, y1: float) -> Region:
        """A rectangle between ``x0``, ``x1`` and ``y0``, ``y1``."""
        return cls(name, BOX, (float(x0), float(x1)), (float(y0), float(y1)))

    @classmethod
    def polygon(cls, name: str, x: Any, y: Any) -> Region:
        """A polygon through the vertices ``x``, ``y``."""
        return cls(name, POLYGON, tuple(map(float, x)), tuple(map(float, y)))

    def to_json(self) -> dict[str, Any]:
        """What the shared file holds of this region (its name is the entry's)."""
        return {"shape": self.shape, "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_json(cls, name: str, entry: Mapping[str, Any]) -> Region:
        """The region an entry of the shared file describes."""
        return cls(
            str(name),
            str(entry["shape"]),
            tuple(float(v) for v in entry["x"]),
            tuple(float(v) for v in entry["y"]),
        )


def regions_of(document: Mapping[str, Any]) -> dict[str, tuple[Region, ...]]:
    """Every key's regions in a shared document; entries that do not fit are
    logged with the key and left out."""
    regions: dict[str, tuple[Region, ...]] = {}
    for key, entries in document.items():
        if not isinstance(entries, Mapping):
            logger.error("regions of key %r: not an object, ignored", key)
            continue
        found = []
        for name, entry in sorted(entries.items()):
            try:
                found.append(Region.from_json(name, entry))
            except (KeyError, TypeError, ValueError) as error:
                logger.error("regions of key %r: %r ignored: %s", key, name, error)
        if found:
            regions[str(key)] = tuple(found)
    return regions


def replace_regions(
    key: str, regions: tuple[Region, ...]
) -> Callable[[Document], Document]:
    """The change of a shared document that gives ``key`` exactly ``regions``."""

    def change(document: Document) -> Document:
        if regions:
            document[key] = {region.name: region.to_json() for region in regions}
        else:
            document.pop(key, None)
        return document

    return change


def add_missing_regions(
    regions: Mapping[str, tuple[Region, ...]],
) -> Callable[[Document], Document]:
    """The change of a shared document that gives ``regions`` to the keys that
    have none (a layout file's regions, at a server's start)."""

    def change(document: Document) -> Document:
        for key, shapes in regions.items():
            if shapes and not document.get(key):
                document[key] = {region.name: region.to_json() for region in shapes}
        return document

    return change


# Masks -----------------------------------------------------------------------
def pixel_centres(frame: sc.DataArray, dim: str) -> np.ndarray:
    """The centres of ``frame``'s pixels along ``dim``: midpoints of bin edges,
    the coord's values, or the pixel indices without a coord."""
    size = frame.sizes[dim]
    coord = frame.coords.get(dim) if isinstance(frame, sc.DataArray) else None
    if coord is None:
        return np.arange(size, dtype=np.float64)
    if coord.dims != (dim,):
        raise ValueError(
            f"coord {dim!r} has dims {coord.dims}: regions need a 1-D coord per axis"
        )
    values = np.asarray(coord.values, dtype=np.float64)
    if values.size == size + 1:
        return 0.5 * (values[1:] + values[:-1])
    return values


def points_in_polygon(
    px: np.ndarray, py: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Whether each point lies inside the polygon or on its boundary.

    Even-odd rule (a ray to +x crosses the boundary an odd number of times),
    vectorised over the points, one pass per edge; a point on an edge or
    vertex counts as inside.
    """
    px, py = np.broadcast_arrays(np.asarray(px, float), np.asarray(py, float))
    inside = np.zeros(px.shape, dtype=bool)
    on_edge = np.zeros(px.shape, dtype=bool)
    scale = max(np.abs(xs).max(), np.abs(ys).max(), 1.0)
    for x1, y1, x2, y2 in zip(xs, ys, np.roll(xs, -1), np.roll(ys, -1), strict=True):
        straddles = (y1 > py) != (y2 > py)
        if y1 != y2:
            at_x = x1 + (py - y1) * ((x2 - x1) / (y2 - y1))
            inside ^= straddles & (px < at_x)
        # On the segment: collinear (cross product ~ 0) and within its box.
        cross = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)
        tolerance = 1e-9 * scale * (abs(x2 - x1) + abs(y2 - y1) + 1e-300)
        on_edge |= (
            (np.abs(cross) <= tolerance)
            & (px >= min(x1, x2))
            & (px <= max(x1, x2))
            & (py >= min(y1, y2))
            & (py <= max(y1, y2))
        )
    return inside | on_edge


@dataclass(frozen=True)
class RegionMask:
    """The pixels of one region on one image geometry.

    ``rows`` and ``cols`` bound them; ``inside`` says which of that block
    belong (None: all of them, a box on a regular grid).
    """

    rows: slice
    cols: slice
    inside: np.ndarray | None
    flat: np.ndarray | None = None
    """The indices of the region's pixels in the flattened image, with ``inside``."""

    @classmethod
    def of(cls, region: Region, cx: np.ndarray, cy: np.ndarray) -> RegionMask:
        """The mask of ``region`` over pixel centres ``cx`` (columns), ``cy`` (rows)."""
        xs, ys = np.asarray(region.x), np.asarray(region.y)
        cols = np.flatnonzero((cx >= xs.min()) & (cx <= xs.max()))
        rows = np.flatnonzero((cy >= ys.min()) & (cy <= ys.max()))
        if cols.size == 0 or rows.size == 0:
            return cls(slice(0, 0), slice(0, 0), None)
        row_block = slice(int(rows[0]), int(rows[-1]) + 1)
        col_block = slice(int(cols[0]), int(cols[-1]) + 1)
        block_x = cx[col_block][np.newaxis, :]
        block_y = cy[row_block][:, np.newaxis]
        if region.shape == BOX:
            inside = (
                (block_x >= xs.min())
                & (block_x <= xs.max())
                & (block_y >= ys.min())
                & (block_y <= ys.max())
            )
        else:
            inside = points_in_polygon(block_x, block_y, xs, ys)
        if inside.all():
            return cls(row_block, col_block, None)
        rows_in, cols_in = np.nonzero(inside)
        flat = (rows_in + row_block.start) * cx.size + (cols_in + col_block.start)
        return cls(row_block, col_block, inside, flat.astype(np.intp))

    def full(self, shape: tuple[int, int]) -> np.ndarray:
        """The mask over a whole image of ``shape`` (for tests and drawing)."""
        mask = np.zeros(shape, dtype=bool)
        mask[self.rows, self.cols] = True if self.inside is None else self.inside
        return mask

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (``..., y, x``) over the region's pixels."""
        if self.flat is not None:
            # Gathering by index costs 60% of a boolean selection of the block.
            pixels = values.reshape(*values.shape[:-2], -1)
            return np.take(pixels, self.flat, axis=-1).sum(axis=-1)
        block = values[..., self.rows, self.cols]
        if block.ndim == 2 and block.dtype.kind == "f" and block.size:
            # A matrix-vector product reads a strided block at twice the speed
            # of a sum over both axes (BLAS).
            return (block @ np.ones(block.shape[1], dtype=block.dtype)).sum()
        return block.sum(axis=(-2, -1))


# Sums per frame ----------------------------------------------------------------
class KeyRegions:
    """The regions of one image key and their masks on its current geometry.

    Parameters
    ----------
    key:
        The image key.
    regions:
        Its regions.
    """

    def __init__(self, key: str, regions: tuple[Region, ...]) -> None:
        self.key = key
        self.regions = regions
        self._geometry: tuple[tuple[str, ...], np.ndarray, np.ndarray] | None = None
        self._masks: tuple[RegionMask, ...] = ()
        self._keys = tuple(region_key(key, region.name) for region in regions)
        self._spectrum_keys = tuple(
            spectrum_key(key, region.name) for region in regions
        )

    def derive(self, frame: Any) -> list[tuple[str, sc.DataArray]]:
        """The regions' keys and values for one frame of the image key.

        Raises
        ------
        ValueError
            If the frame is not a 2-D or 3-D numeric DataArray or Variable.
        """
        if not isinstance(frame, sc.DataArray | sc.Variable) or frame.ndim not in (
            2,
            3,
        ):
            raise ValueError(
                f"key {self.key!r}: regions need 2-D or 3-D scipp frames, "
                f"got {type(frame).__name__} of ndim {getattr(frame, 'ndim', None)}"
            )
        if frame.bins is not None:
            raise ValueError(f"key {self.key!r}: regions of binned data are not summed")
        masks = self._masks_for(frame)
        data = frame.data if isinstance(frame, sc.DataArray) else frame
        values = data.values
        variances = data.variances
        if isinstance(frame, sc.DataArray) and frame.masks:
            # Masked pixels count for nothing, as in scipp's own sum.
            masked = np.zeros(frame.shape, dtype=bool)
            for mask in frame.masks.values():
                masked |= mask.broadcast(sizes=frame.sizes).transpose(frame.dims).values
            values = np.where(masked, 0, values)
            if variances is not None:
                variances = np.where(masked, 0, variances)
        unit = data.unit
        time = frame.coords.get(TIME) if isinstance(frame, sc.DataArray) else None
        stamp = {} if time is None else {TIME: time}
        derived: list[tuple[str, sc.DataArray]] = []
        for index, mask in enumerate(masks):
            total = mask.sum(values)
            spread = None if variances is None else mask.sum(variances)
            if frame.ndim == 3:
                first = frame.dims[0]
                coords = dict(stamp)
                if isinstance(frame, sc.DataArray) and first in frame.coords:
                    coords[first] = frame.coords[first]
                derived.append(
                    (
                        self._spectrum_keys[index],
                        sc.DataArray(
                            sc.array(
                                dims=[first], values=total, variances=spread, unit=unit
                            ),
                            coords=coords,
                        ),
                    )
                )
                total = total.sum()
                spread = None if spread is None else spread.sum()
            derived.append(
                (
                    self._keys[index],
                    sc.DataArray(
                        sc.scalar(total, variance=spread, unit=unit), coords=stamp
                    ),
                )
            )
        return derived

    def _masks_for(self, frame: sc.DataArray | sc.Variable) -> tuple[RegionMask, ...]:
        y_dim, x_dim = frame.dims[-2:]
        geometry = self._geometry
        if geometry is not None and geometry[0] == frame.dims:
            cx = pixel_centres(frame, x_dim)
            cy = pixel_centres(frame, y_dim)
            if np.array_equal(cx, geometry[1]) and np.array_equal(cy, geometry[2]):
                return self._masks
        else:
            cx = pixel_centres(frame, x_dim)
            cy = pixel_centres(frame, y_dim)
        # A new geometry (the first frame, or other coords): masks once more.
        self._masks = tuple(RegionMask.of(region, cx, cy) for region in self.regions)
        self._geometry = (frame.dims, cx, cy)
        return self._masks
