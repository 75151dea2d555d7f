"""Built pages are left out of the garbage collector's full passes (decision 102).

CPython's full pass walks every tracked object of the process while holding
the GIL: no session draws and the ingestion waits. A served page holds some
4,000 objects a plot, so the passes grow with the pages open: with 32 sessions
one took 0.8-0.9 s, every 20 s, as frames' survivors added up. What a page
built holds lives as long as its session, so each built page is frozen (as the
start-up is, decision 039), and full passes walk only what came since.

Frozen objects are still freed when their last reference goes; what a freeze
keeps is garbage in cycles, which a closed page's Bokeh and Panel objects
mostly are. A sweep (thaw, one full pass, freeze again) frees them, a second
after a close: when the process has no session left, which nobody waits for,
and otherwise once the closed pages are a quarter of those frozen, the share
at which CPython itself runs a full pass.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Hashable

from tornado.ioloop import IOLoop

logger = logging.getLogger(__name__)

CLOSED_SHARE = 0.25
"""A sweep runs once the closed pages are this share of the frozen pages, by
plots (CPython runs a full pass at the same share of growth)."""


SWEEP_DELAY_S = 1.0
"""A sweep waits this long after a close: Bokeh destroys expired sessions in
one callback, holding them all until it ends, so a sweep inside it freed none
of them (1.3 s each, one per close)."""


class PageCollector:
    """When a process's pages are frozen out of garbage collection, and swept.

    One per process (`PAGES`); sessions tell it when their page is built and
    when they close. Pages are weighed by their plots (some 4,000 objects
    each): counting frozen objects walks them all (`gc.get_freeze_count`
    took 0.3 s with 24 sessions open).

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
        self._pages_open = 0
        self._sweep_due = False
        self.sweeps = 0

    def built(self, page: Hashable, plots: int) -> None:
        """A page's build ended with `plots` plots: freeze what the process
        holds now.

        The young generations are collected first, so their garbage in cycles
        is not kept; such garbage that reached the old generation is kept
        until a sweep.
        """
        gc.collect(1)
        gc.freeze()
        self._open[page] = plots + 1  # the page's own models weigh a plot

    def closed(self, page: Hashable, *, pages_open: int) -> None:
        """A page's session ended, `pages_open` remain: a sweep follows once
        nobody is left to wait or the closed pages are `CLOSED_SHARE` of
        those frozen."""
        self.closed_plots += self._open.pop(page, 0)
        self._pages_open = pages_open
        if self.closed_plots and not self._sweep_due:
            self._sweep_due = True
            self._schedule(SWEEP_DELAY_S, self._sweep_if_due)

    def _sweep_if_due(self) -> None:
        self._sweep_due = False
        frozen = self.closed_plots + sum(self._open.values())
        if self._pages_open == 0 or self.closed_plots >= CLOSED_SHARE * frozen:
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
