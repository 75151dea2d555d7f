"""Built pages are left out of the garbage collector's full passes (decision 102).

CPython's full pass walks every tracked object of the process while holding
the GIL: no session draws and the ingestion waits. A served page holds some
4,000 objects a plot, so the passes grow with the pages open: with 32 sessions
one took 0.8-0.9 s, every 20 s, as frames' survivors added up. The cards a
page placed live as long as its session, so each time a page places cards the
process is frozen (as the start-up is, decision 039), and full passes walk
only what came since: during a large page's build too.

Frozen objects are still freed when their last reference goes; what a freeze
keeps is garbage in cycles, which a closed page's Bokeh and Panel objects
mostly are. A sweep (thaw, one full pass, freeze again) frees them, a second
after a close once the closed pages are a quarter of the pages frozen, the
share at which CPython itself runs a full pass (the last page closed is
always swept).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Hashable

from tornado.ioloop import IOLoop

logger = logging.getLogger(__name__)

CLOSED_SHARE = 0.25
"""A sweep runs once the closed pages are this share of the pages frozen, by
plots (CPython runs a full pass at the same share of growth). The start-up is
not counted: weighed as its objects over 4,000 a plot, a churn's few closed
pages stayed unswept beside one open page, 17 MB over the process's memory
before them."""

SWEEP_DELAY_S = 1.0
"""A sweep waits this long after a close: Bokeh destroys expired sessions in
one callback, holding them all until it ends, so a sweep inside it freed none
of them (1.3 s each, one per close)."""


class PageCollector:
    """When a process's pages are frozen out of garbage collection, and swept.

    One per process (`PAGES`); sessions tell it each time their page placed
    cards, and when they close. Pages are weighed by their plots: counting
    frozen objects walks them all (`gc.get_freeze_count` took 0.3 s with 24
    sessions open).

    Parameters
    ----------
    schedule:
        Calls ``action`` after ``delay`` seconds; the server's event loop by
        default.
    """

    def __init__(
        self, schedule: Callable[[float, Callable[[], None]], object] | None = None
    ) -> None:
        self._schedule = schedule or _later_on_the_loop
        # Plots of each open page at its latest freeze, by session.
        self._open: dict[Hashable, int] = {}
        # Plots of closed pages, frozen, that wait for a sweep.
        self.closed_plots = 0
        self._check_due = False
        self.sweeps = 0

    def built(self, page: Hashable, plots: int) -> None:
        """A page placed cards and holds `plots` plots: freeze what the
        process holds now.

        The young generations are collected first, so their garbage in cycles
        is not kept; such garbage that reached the old generation is kept
        until a sweep.
        """
        gc.collect(1)
        gc.freeze()
        self._open[page] = plots + 1  # the page's own models weigh a plot

    def closed(self, page: Hashable) -> None:
        """A page's session ended: its page waits for a sweep."""
        self.closed_plots += self._open.pop(page, 0)
        if self.closed_plots and not self._check_due:
            self._check_due = True
            self._schedule(SWEEP_DELAY_S, self._sweep_if_due)

    def _sweep_if_due(self) -> None:
        """Sweep once the closed pages are `CLOSED_SHARE` of those frozen."""
        self._check_due = False
        frozen = self.closed_plots + sum(self._open.values())
        if self.closed_plots and self.closed_plots >= CLOSED_SHARE * frozen:
            self.sweep()

    def sweep(self) -> None:
        """Thaw, collect everything, freeze what is left."""
        began = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self.closed_plots = 0
        self.sweeps += 1
        logger.info(
            "closed pages swept: %d unreachable objects freed in %.0f ms",
            found,
            (time.perf_counter() - began) * 1000,
        )


def _later_on_the_loop(delay: float, action: Callable[[], None]) -> object:
    return IOLoop.current().call_later(delay, action)


PAGES = PageCollector()
"""The process's: garbage collection is the process's."""
