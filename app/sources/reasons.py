"""Why a record was not applied: the small, fixed vocabulary of skip reasons.

Counters and status lines use these words only, so 10,000 different broken
payloads make one counter, not 10,000; the details go to the (throttled) log.
"""

from __future__ import annotations

from enum import StrEnum

DROPPED_BEHIND = "dropped behind"
"""Decoded messages dropped, oldest first, because the dashboard fell behind
(decision 004): lost like a skipped record, though nothing was wrong with them."""

OFFSET_RESET = "skipped by an offset reset"
"""Records a Kafka consumer passed over: its offset was reset (retention passed
it, an offset out of range), and the records between its last one and the
first after the reset were never read (decision 034)."""

HISTORIES_RESTARTED = "histories restarted"
"""Keys whose history restarted because a value no longer fit it (another
shape, dtype, unit...): the frames before it are gone from every view."""


class Reason(StrEnum):
    """The reasons a record or message is skipped, counted under their value."""

    UNKNOWN_SCHEMA = "unknown schema"
    MALFORMED_DA00 = "malformed da00"
    MALFORMED_F144 = "malformed f144"
    UNSUPPORTED_DTYPE = "unsupported dtype"
    INVALID_KEY = "invalid key"
    NOT_A_MESSAGE = "not a message"
    FAILED_TO_DECODE = "failed to decode"
    FAILED_TO_APPLY = "failed to apply"
    STAMPED_IN_THE_FUTURE = "stamped in the future"
