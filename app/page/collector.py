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
always swept). A sweep waits while a page is being built, so that no build
holds one (up to `LONGEST_WAIT_S`), and a destroyed page's Bokeh models are
taken apart before it (decision 108): it frees the rest.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Hashable

from tornado.ioloop import IOLoop

from app.limits import MAX_LAYOUT_PLOTS

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

LONGEST_WAIT_S = 120.0
"""A due sweep waits while pages are built at most this long: a closed
page's memory is not kept for ever by pages opened one after another, or by
a build that never ends (a plot waiting for its key)."""

WAITS_FOR_AT_MOST_PAGES = 2
WAITS_FOR_AT_MOST_PLOTS = 2 * MAX_LAYOUT_PLOTS
"""A due sweep waits for pages opening only while the closed pages are at most
this many, holding at most this many plots (two of the largest pages).
Garbage that piles up while pages keep opening makes a longer sweep and a
higher peak: 200 sessions opened and closed in rounds of 25 left the server's
memory 34% over its start when sweeps waited for the next round's pages
(glibc keeps much of what a large sweep frees), 1% when none waited."""


class PageCollector:
    """When a process's pages are frozen out of garbage collection, and swept.

    One per process (`PAGES`); sessions tell it when their build begins,
    each time their page placed cards, when the build is done, and when they
    close. Pages are weighed by their plots: counting
    frozen objects walks them all (`gc.get_freeze_count` took 0.3 s with 24
    sessions open).

    Parameters
    ----------
    schedule:
        Calls ``action`` after ``delay`` seconds; the server's event loop by
        default.
    clock:
        Seconds, monotonic: how long a sweep waited for builds.
    """

    def __init__(
        self,
        schedule: Callable[[float, Callable[[], None]], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._schedule = schedule or _later_on_the_loop
        self._clock = clock
        # Pages whose build began and is not done.
        self._building: set[Hashable] = set()
        self._due_since: float | None = None
        # Plots of each open page at its latest freeze, by session.
        self._open: dict[Hashable, int] = {}
        # Plots of each closed page, frozen, that waits for a sweep.
        self._closed: dict[Hashable, int] = {}
        self._check_due = False
        self.sweeps = 0

    @property
    def closed_plots(self) -> int:
        """Plots of the closed pages that wait for a sweep."""
        return sum(self._closed.values())

    def building(self, page: Hashable) -> None:
        """A page's build began: no sweep until it is done."""
        self._building.add(page)

    def done(self, page: Hashable) -> None:
        """A page's build is done."""
        self._building.discard(page)

    def built(self, page: Hashable, plots: int) -> None:
        """A page placed cards and holds `plots` plots: freeze what the
        process holds now.

        What is not frozen yet is collected first, old generation included,
        so the build's garbage in cycles (models made and replaced, callbacks
        run) is not kept until a sweep: a pass over what came since the last
        freeze, 1-5 ms a turn of a 48-plot build.
        """
        gc.collect()
        gc.freeze()
        self._open[page] = plots + 1  # the page's own models weigh a plot

    def closed(self, page: Hashable) -> None:
        """A page's session ended: its page waits for a sweep."""
        self._building.discard(page)
        plots = self._open.pop(page, 0)
        if plots:
            self._closed[page] = plots
        if self._closed and not self._check_due:
            self._check_due = True
            self._schedule(SWEEP_DELAY_S, self._sweep_if_due)

    def _sweep_if_due(self) -> None:
        """Sweep once the closed pages are `CLOSED_SHARE` of those frozen,
        when no page opens (or it waited `LONGEST_WAIT_S`, or the closed
        pages are over `WAITS_FOR_AT_MOST_PAGES` or hold over
        `WAITS_FOR_AT_MOST_PLOTS` plots)."""
        self._check_due = False
        frozen = self.closed_plots + sum(self._open.values())
        if not (self.closed_plots and self.closed_plots >= CLOSED_SHARE * frozen):
            return
        now = self._clock()
        if self._due_since is None:
            self._due_since = now
        if (
            self._building
            and len(self._closed) <= WAITS_FOR_AT_MOST_PAGES
            and self.closed_plots <= WAITS_FOR_AT_MOST_PLOTS
            and now - self._due_since < LONGEST_WAIT_S
        ):
            self._check_due = True
            self._schedule(SWEEP_DELAY_S, self._sweep_if_due)
            return
        self.sweep()

    def sweep(self) -> None:
        """Thaw, collect everything, freeze what is left."""
        began = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self._closed.clear()
        self._due_since = None
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
