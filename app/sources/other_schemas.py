"""Schemas the dashboard knowingly does not read, though they share its topics.

An instrument's topics carry detector events, older logs, connection and run
status beside the da00 and f144 the dashboard plots. Their records are
counted as ignored, not lost: they keep the pill calm (decision 035).
"""

from __future__ import annotations

DEFAULT_IGNORED_SCHEMAS: tuple[str, ...] = (
    "ev42",
    "ev44",
    "f142",
    "ep00",
    "ep01",
    "al00",
    "x5f2",
    "pl72",
    "6s4t",
)
"""Events (ev42, ev44), older logs (f142), connection status (ep00, ep01),
alarms (al00), process status (x5f2) and run start and stop (pl72, 6s4t)."""
