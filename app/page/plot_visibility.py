"""Plots out of view: the page says which plots are in view, and the session
draws the others (scrolled away, or not built by the browser yet) once a
second and once in four frames at most, instead of every frame (decision 061)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from bokeh.models import CustomJS, Spacer

logger = logging.getLogger(__name__)

HIDDEN_REFRESH_S = 1.0
"""A plot out of view is drawn at most this often; in view, every frame."""

HIDDEN_REFRESH_FRAMES = 4
"""Nor more often than once in this many frames: a slow browser, which gets a
frame every few seconds, spends them on the plots in view."""

UNREPORTED = "unreported"
"""The report's value until the page sends one (a plot's id never is)."""

HIDDEN_SHARE_S = 0.01
"""Plots out of view drawn in a frame stop once they took this long together
(at least one is drawn): after seconds without a frame, each has seconds of
data to take in, and a frame of them held the server's loop 45-62 ms."""

# Runs once per page, when the session connects: an IntersectionObserver
# watches every plot's element (plots added later are found by a scan every
# half second) and the page reports the ids of the plots in view. A plot the
# browser has not built yet, and a hidden element (a closed card), never
# intersects: it is out of view.
WATCH_VISIBILITY_JS = """
if (window.plotVisibility !== undefined) return;
const shown = new Set();
const watched = new Map();
let reported = null;
const report_ = () => {
  const ids = [...shown].sort();
  const text = ids.join(",");
  if (text !== reported) { reported = text; report.tags = ids; }
};
const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const id = watched.get(entry.target);
    if (id === undefined) continue;
    if (entry.isIntersecting) shown.add(id); else shown.delete(id);
  }
  report_();
});
const plot_types = new Set(["Figure", "Plot"]);
const scan = () => {
  const seen = new Set();
  const walk = (view) => {
    if (view.model && plot_types.has(view.model.type)) {
      seen.add(view.el);
      if (!watched.has(view.el)) {
        watched.set(view.el, view.model.id);
        observer.observe(view.el);
      }
    }
    for (const child of view.child_views || []) walk(child);
  };
  for (const root of Object.values(Bokeh.index)) walk(root);
  for (const [el, id] of watched) {
    if (!seen.has(el)) {
      observer.unobserve(el);
      watched.delete(el);
      shown.delete(id);
    }
  }
  report_();
};
scan();
window.plotVisibility = setInterval(scan, 500);
"""


class PlotVisibility:
    """Which plots of a session's page are in view, as the page reports them.

    Plots are named by the id of their Bokeh root model. A page that never
    reports (a headless client) has every plot in view; once it reports, a
    plot it does not name is out of view, the ones its browser has not
    built yet among them.

    Parameters
    ----------
    on_shown:
        Called (on the session's loop) when a plot comes into view: its
        frame catches up at once.
    clock:
        Monotonic seconds; replaceable in tests.
    """

    def __init__(
        self,
        on_shown: Callable[[], None],
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_shown = on_shown
        self._clock = clock
        # None until the page reports. Replaced whole, never mutated: read
        # without a lock by other threads.
        self._in_view: frozenset[str] | None = None
        self._drawn_at: dict[str, tuple[float, int]] = {}
        self._frame = 0
        # Plots out of view this frame may still draw (`new_frame` sets it),
        # and when the first of them was drawn.
        self._hidden_left: float = math.inf
        self._hidden_began: float | None = None
        # Not an empty list: a page whose first report is "none in view"
        # changes it, and BokehJS sends only changes.
        self.model = Spacer(
            width=0, height=0, visible=False, name="plots-in-view", tags=[UNREPORTED]
        )
        self.model.on_change("tags", self._on_report)
        self.watch = CustomJS(args={"report": self.model}, code=WATCH_VISIBILITY_JS)

    def is_hidden(self, model_id: str) -> bool:
        """Whether the plot of `model_id` is out of view; safe from any thread."""
        in_view = self._in_view
        return in_view is not None and model_id not in in_view

    def new_frame(self, out_of_view: int) -> None:
        """Count a frame of the session, whose page has `out_of_view` plots
        out of view: call once per frame, before `due`.

        Plots scrolled away together come due together: a frame draws at most
        a `HIDDEN_REFRESH_FRAMES`-th of those out of view, so their cost is
        spread over frames instead of one frame of them all a second (a frame
        of 48 plots held the server's loop 100-120 ms).
        """
        self._frame += 1
        self._hidden_began = None
        self._hidden_left = max(1, math.ceil(out_of_view / HIDDEN_REFRESH_FRAMES))

    def due(self, model_id: str) -> bool:
        """Whether the plot of `model_id` is to be drawn in this frame.

        In view: always. Out of view: once per `HIDDEN_REFRESH_S` and once in
        `HIDDEN_REFRESH_FRAMES` frames at most, and a share of them a frame,
        in at most `HIDDEN_SHARE_S`: ask for the plots in view first.
        """
        if not self.is_hidden(model_id):
            return True
        now = self._clock()
        began = self._hidden_began
        if self._hidden_left <= 0 or (
            began is not None and now - began >= HIDDEN_SHARE_S
        ):
            return False  # in a later frame, its data kept pending
        drawn = self._drawn_at.get(model_id)
        if drawn is not None and (
            now - drawn[0] < HIDDEN_REFRESH_S
            or self._frame - drawn[1] < HIDDEN_REFRESH_FRAMES
        ):
            return False
        self._drawn_at[model_id] = (now, self._frame)
        self._hidden_left -= 1
        if began is None:
            self._hidden_began = now
        return True

    def _on_report(self, attr: str, old: list, new: list) -> None:
        if new == [UNREPORTED]:
            return
        in_view = frozenset(str(model_id) for model_id in new)
        # Before the first report every plot counted as in view.
        shown = in_view - self._in_view if self._in_view is not None else set()
        self._in_view = in_view
        for model_id in shown:
            self._drawn_at.pop(model_id, None)
        if shown:
            self._on_shown()
