"""ConfirmedClick: an action that needs a second click within a few seconds."""

from __future__ import annotations

CONFIRM_WITHIN_S = 4.0
"""How long the offer to confirm a destructive click stays open."""


class ConfirmedClick:
    """Counts a click only when it confirms one made less than ``within_s`` before.

    Parameters
    ----------
    within_s:
        How long the first click's offer stays open.
    """

    def __init__(self, within_s: float = CONFIRM_WITHIN_S) -> None:
        self._within_s = within_s
        self._armed_at: float | None = None

    def click(self, now_s: float) -> bool:
        """Register a click at ``now_s``; return whether it confirms the action."""
        if self.armed(now_s):
            self._armed_at = None
            return True
        self._armed_at = now_s
        return False

    def armed(self, now_s: float) -> bool:
        """Whether a first click waits for its confirmation at ``now_s``."""
        return self._armed_at is not None and now_s - self._armed_at <= self._within_s
