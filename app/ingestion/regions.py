"""RegionSink: a frame of an image key with regions writes their keys after it.

A thin `DataSink` in front of the ingestion's `KeyActivity`: each frame goes
on, and for a key with regions of interest the regions' sums follow at once,
in the same transaction, so a subscriber that sees a region's value sees the
image it came from (decision 088). A key without regions costs one dict
lookup. The regions come from the shared file (decision 029): `use` replaces
them whole from the watch thread; masks of keys whose regions did not change
are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from app.data.regions import KeyRegions, Region
from app.data.sink import DataSink
from app.sources.throttled_log import ThrottledLog

logger = logging.getLogger(__name__)


class RegionSink:
    """Writes each value to ``sink``, then the regions' sums of its key, if any."""

    def __init__(self, sink: DataSink[Hashable]) -> None:
        self._sink = sink
        # Replaced whole, never changed in place: the ingestion thread reads
        # one mapping or the other, never half of a change.
        self._by_key: Mapping[Hashable, KeyRegions] = {}
        self._log = ThrottledLog(logger)

    def transaction(self) -> AbstractContextManager[Any]:
        """The sink's transaction."""
        return self._sink.transaction()

    def __setitem__(self, key: Hashable, value: Any) -> None:
        self._sink[key] = value
        regions = self._by_key.get(key)
        if regions is None:
            return
        try:
            derived = regions.derive(value)
        except Exception as error:  # the frame is in; its regions are lost
            self._log.warning(
                ("regions", key), "regions of key %r not summed: %s", key, error
            )
            return
        for region_key, region_value in derived:
            self._sink[region_key] = region_value

    def use(self, regions: Mapping[str, tuple[Region, ...]]) -> None:
        """Sum these regions from the next frame on (any thread)."""
        current = self._by_key
        by_key: dict[Hashable, KeyRegions] = {}
        for key, shapes in regions.items():
            kept = current.get(key)
            same = kept is not None and kept.regions == shapes
            by_key[key] = kept if same else KeyRegions(key, shapes)
        self._by_key = by_key
        logger.info(
            "regions of interest: %d on %d keys",
            sum(len(shapes) for shapes in regions.values()),
            len(regions),
        )

    @property
    def keys_with_regions(self) -> frozenset[Hashable]:
        """The keys whose frames are summed now."""
        return frozenset(self._by_key)
