"""Plots out of view: the page says which plots are scrolled away, and the
session draws those once a second and once in four frames at most, instead of
every frame (decision 061)."""

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

# Runs once per page, when the session connects: an IntersectionObserver
# watches every plot's element (plots added later are found by a scan every
# half second) and the page reports the ids of the plots out of view. Hidden
# elements (a closed card) never intersect and count as out of view.
WATCH_VISIBILITY_JS = """
if (window.plotVisibility !== undefined) return;
const hidden = new Set();
const watched = new Map();
let reported = null;
const report_ = () => {
  const ids = [...hidden].sort();
  const text = ids.join(",");
  if (text !== reported) { reported = text; report.tags = ids; }
};
const observer = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    const id = watched.get(entry.target);
    if (id === undefined) continue;
    if (entry.isIntersecting) hidden.delete(id); else hidden.add(id);
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
      hidden.delete(id);
    }
  }
  report_();
};
scan();
window.plotVisibility = setInterval(scan, 500);
"""


class PlotVisibility:
    """Which plots of a session's page are out of view, as the page reports them.

    Plots are named by the id of their Bokeh root model. A page that never
    reports (a headless client) has every plot in view.

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
        # Replaced whole, never mutated: read without a lock by other threads.
        self._hidden: frozenset[str] = frozenset()
        self._drawn_at: dict[str, tuple[float, int]] = {}
        self._frame = 0
        # Plots out of view this frame may still draw (`new_frame` sets it).
        self._hidden_left: float = math.inf
        self.model = Spacer(
            width=0, height=0, visible=False, name="hidden-plots", tags=[]
        )
        self.model.on_change("tags", self._on_report)
        self.watch = CustomJS(args={"report": self.model}, code=WATCH_VISIBILITY_JS)

    @property
    def hidden(self) -> frozenset[str]:
        """Ids of the plots out of view."""
        return self._hidden

    def is_hidden(self, model_id: str) -> bool:
        """Whether the plot of `model_id` is out of view; safe from any thread."""
        return model_id in self._hidden

    def new_frame(self) -> None:
        """Count a frame of the session (call once per frame, before `due`).

        Plots scrolled away together come due together: a frame draws at most
        a `HIDDEN_REFRESH_FRAMES`-th of those out of view, so their cost is
        spread over frames instead of one frame of them all a second (a frame
        of 48 plots held the server's loop 100-120 ms).
        """
        self._frame += 1
        self._hidden_left = max(1, math.ceil(len(self._hidden) / HIDDEN_REFRESH_FRAMES))

    def due(self, model_id: str) -> bool:
        """Whether the plot of `model_id` is to be drawn in this frame.

        In view: always. Out of view: once per `HIDDEN_REFRESH_S` and once in
        `HIDDEN_REFRESH_FRAMES` frames at most, and a share of them a frame.
        """
        if model_id not in self._hidden:
            return True
        if self._hidden_left <= 0:
            return False  # in a later frame, its data kept pending
        now = self._clock()
        drawn = self._drawn_at.get(model_id)
        if drawn is not None and (
            now - drawn[0] < HIDDEN_REFRESH_S
            or self._frame - drawn[1] < HIDDEN_REFRESH_FRAMES
        ):
            return False
        self._drawn_at[model_id] = (now, self._frame)
        self._hidden_left -= 1
        return True

    def _on_report(self, attr: str, old: list, new: list) -> None:
        hidden = frozenset(str(model_id) for model_id in new)
        shown = self._hidden - hidden
        self._hidden = hidden
        for model_id in shown:
            self._drawn_at.pop(model_id, None)
        if shown:
            self._on_shown()
