"""How many sessions a server process serves: one more gets a page saying the
dashboard is full, not a share of a server too slow for all (decision 083)."""

from __future__ import annotations

import logging
import threading

import panel as pn

from app.page_text import text_div
from app.process_local import ProcessLocal

logger = logging.getLogger(__name__)


class Ticket:
    """A session's place in its process; `release` frees it, once."""

    def __init__(self, admission: Admission) -> None:
        self._admission: Admission | None = admission

    def release(self, session_context: object) -> None:
        """Free the place (the session was destroyed); later calls do nothing.

        ``session_context`` is Bokeh's, unused; the name is what Bokeh checks.
        """
        admission, self._admission = self._admission, None
        if admission is not None:
            admission._release()


class Admission:
    """At most `limit` sessions at once; a place is taken when a page is built
    and freed when Bokeh destroys its session.

    A page is counted from its build, not from its browser's connection: a
    burst of page loads cannot overshoot the limit. A page fetched without a
    browser (a probe) holds its place until the server drops it
    (``--unused-session-lifetime``).
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max sessions must be at least 1, got {limit}")
        self.limit = limit
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def admitted(self) -> int:
        """Sessions holding a place now."""
        return self._admitted

    def admit(self) -> Ticket | None:
        """A place for one more session, or None if the process is full."""
        with self._lock:
            if self._admitted >= self.limit:
                refused = True
            else:
                self._admitted += 1
                refused = False
        if refused:
            logger.warning(
                "session refused: this process serves at most %d sessions "
                "(--max-sessions)",
                self.limit,
            )
            return None
        return Ticket(self)

    def _release(self) -> None:
        with self._lock:
            self._admitted -= 1


_process_admission: ProcessLocal[Admission] = ProcessLocal()


def process_admission(limit: int) -> Admission:
    """This process's admission; the first call's `limit` holds for the process.

    A forked server process (``--num-procs``) counts its own sessions.
    """
    return _process_admission.get(lambda: Admission(limit))


FULL_TEXT = (
    "This dashboard is full: this server process already serves {limit} "
    "sessions, its most (--max-sessions). Open the dashboard on another worker "
    "or host, or close a tab that shows it and reload this page."
)


def full_page(limit: int) -> pn.viewable.Viewable:
    """The plain page a session beyond the limit gets."""
    return pn.Column(
        pn.pane.Markdown("## Dashboard full"),
        pn.pane.Bokeh(
            text_div(FULL_TEXT.format(limit=limit), name="dashboard-full", width=700)
        ),
        margin=20,
    )
