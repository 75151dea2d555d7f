"""Alarm limits of 0-D keys: what they are, the limits file, and checking them.

A key's `AlarmLimits` say when its value is a warning or an alarm (low and
high bounds each), when its silence is (no data for ``stale_s``), how far
back inside a bound a value must come to count as inside again
(``deadband``) and how long a worse state must last before it is reported
(``grace_s``), decision 095. They come from the limits file
(``--alarm-limits FILE``, decision 096) and from operators on the page; both
the ingestion (which evaluates them) and the page (which edits and draws
them) read this module.

The limits file holds one JSON object a line (blank lines and lines starting
with ``#`` are skipped)::

    {"key": "log/sample_temperature", "warn_high": 300, "alarm_high": 305,
     "deadband": 0.5, "grace_s": 5, "stale_s": 30}
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from app.durations import format_seconds
from app.shared_state import Document, SharedState

BOUNDS = ("alarm_low", "warn_low", "warn_high", "alarm_high")
"""The four bounds, from the lowest to the highest."""
FIELDS = (*BOUNDS, "stale_s", "deadband", "grace_s")
"""The fields of a key's limits, as the file and the shared state name them."""
LIMITS_STATE = "limits.json"
"""The shared state file of the limits operators set on the page (decision 029)."""


class AlarmLimitsError(ValueError):
    """Limits that do not fit: the message names the key (or line) and field."""


@dataclass(frozen=True)
class AlarmLimits:
    """A 0-D key's limits; None leaves a bound (or the staleness) unchecked.

    Parameters
    ----------
    alarm_low, warn_low, warn_high, alarm_high:
        A value below a low bound or above a high bound is a warning or an
        alarm; ``alarm_low <= warn_low < warn_high <= alarm_high`` where set.
    stale_s:
        Seconds without a value after which the key is stale.
    deadband:
        How far inside a bound a value must come back before the state it
        left is over: a value hovering at the bound does not flap.
    grace_s:
        How long a worse state must hold before it is reported: one spike
        is not an alarm.
    """

    alarm_low: float | None = None
    warn_low: float | None = None
    warn_high: float | None = None
    alarm_high: float | None = None
    stale_s: float | None = None
    deadband: float = 0.0
    grace_s: float = 0.0

    def __post_init__(self) -> None:
        for name in FIELDS:
            value = getattr(self, name)
            if value is not None and not math.isfinite(value):
                raise AlarmLimitsError(f"field {name!r}: must be finite, got {value}")
        for name in ("stale_s", "deadband", "grace_s"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise AlarmLimitsError(
                    f"field {name!r}: must not be negative, got {value}"
                )
        if self.stale_s == 0:
            raise AlarmLimitsError("field 'stale_s': must be positive, got 0")
        set_bounds = [(name, getattr(self, name)) for name in BOUNDS]
        set_bounds = [(name, value) for name, value in set_bounds if value is not None]
        for (lower, low), (upper, high) in itertools.pairwise(set_bounds):
            opposite = lower.endswith("low") and upper.endswith("high")
            if low > high or (low == high and opposite):
                raise AlarmLimitsError(
                    f"field {upper!r}: {high} must lie above {lower} {low}"
                )

    @property
    def empty(self) -> bool:
        """Whether nothing is checked (an operator cleared the key's limits)."""
        return all(getattr(self, name) is None for name in (*BOUNDS, "stale_s"))

    def as_json(self) -> dict[str, float]:
        """The fields that are set, as the file and the shared state write them."""
        default = AlarmLimits()
        return {
            name: value
            for name, value in asdict(self).items()
            if value is not None and value != getattr(default, name)
        }

    def describe(self) -> str:
        """The limits in words: ``warn > 300, alarm > 305, no data 30 s``."""
        parts = []
        for kind in ("warn", "alarm"):
            low, high = getattr(self, f"{kind}_low"), getattr(self, f"{kind}_high")
            if low is not None and high is not None:
                parts.append(f"{kind} outside {low:g}..{high:g}")
            elif low is not None:
                parts.append(f"{kind} < {low:g}")
            elif high is not None:
                parts.append(f"{kind} > {high:g}")
        if self.stale_s is not None:
            parts.append(f"no data {format_seconds(self.stale_s)}")
        return ", ".join(parts) or "none"


def limits_from(fields_: Mapping[str, Any], where: str = "") -> AlarmLimits:
    """Limits from a JSON object's fields; unknown fields and non-numbers refused.

    ``where`` starts the error message (``limits file F line 3: ``).
    """
    known = {field.name for field in fields(AlarmLimits)}
    values: dict[str, float] = {}
    for name, value in fields_.items():
        if name not in known:
            raise AlarmLimitsError(
                f"{where}unknown field {name!r}; fields are {', '.join(FIELDS)}"
            )
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise AlarmLimitsError(
                f"{where}field {name!r}: must be a number, got {value!r}"
            )
        values[name] = float(value)
    try:
        return AlarmLimits(**values)
    except AlarmLimitsError as error:
        raise AlarmLimitsError(f"{where}{error}") from None


def parse_limits_file(text: str, name: str = "limits file") -> dict[str, AlarmLimits]:
    """The limits a limits file's text sets, by key.

    Raises
    ------
    AlarmLimitsError
        At the first line that does not fit, naming the file, the line and
        the field.
    """
    limits: dict[str, AlarmLimits] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{name} line {number}: "
        try:
            entry = json.loads(stripped)
        except ValueError as error:
            raise AlarmLimitsError(f"{where}not a JSON object: {error}") from None
        if not isinstance(entry, dict):
            raise AlarmLimitsError(f"{where}not a JSON object")
        key = entry.pop("key", None)
        if not isinstance(key, str) or not key:
            raise AlarmLimitsError(f"{where}field 'key': must be a non-empty string")
        if key in limits:
            raise AlarmLimitsError(f"{where}field 'key': {key!r} is set twice")
        limits[key] = limits_from(entry, f"{where}key {key!r}: ")
    return limits


def read_limits_file(path: str | Path) -> dict[str, AlarmLimits]:
    """The limits of the file at ``path`` (`parse_limits_file`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AlarmLimitsError(f"limits file {path}: {error.strerror}") from None
    return parse_limits_file(text, f"limits file {path}")


def merged_limits(
    from_file: Mapping[str, AlarmLimits], shared: Mapping[str, Any]
) -> dict[Hashable, AlarmLimits]:
    """The limits in force: the file's, each key replaced by what operators set.

    ``shared`` is the shared state's document (key -> fields); an entry that
    does not fit is skipped (the page never writes one). A key whose limits
    are empty (an operator cleared them) has none.
    """
    limits: dict[Hashable, AlarmLimits] = dict(from_file)
    for key, entry in shared.items():
        if not isinstance(entry, dict):
            continue
        try:
            limits[key] = limits_from(entry)
        except AlarmLimitsError:
            continue
    return {key: value for key, value in limits.items() if not value.empty}


def store_limits(shared: SharedState, key: Hashable, limits: AlarmLimits) -> Document:
    """Keep ``limits`` as what operators set for ``key`` in ``shared`` (the
    state directory's `LIMITS_STATE`); returns the document now stored."""

    def change(document: Document) -> Document:
        document[str(key)] = limits.as_json()
        return document

    return shared.update(change)
