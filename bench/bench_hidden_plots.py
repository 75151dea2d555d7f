"""Benchmark: frames of a 48-plot page whose plots are out of view (decision 061).

One session of `app.testing.many_plots` (48 plots) in a Bokeh document, on a
simulated instrument at 5 Hz; every plot is reported out of view, as on a page
scrolled away or a large page whose plots mostly lie below the window. Frames
are drawn every 0.2 s for `SECONDS`, three times in the same run: with the
plots out of view drawn together (each frame draws every plot whose second is
up, before decision 061's spread), spread over frames (a fourth a frame at
most) and, ours, also stopped for the frame once they took 10 ms together
(`HIDDEN_SHARE_S`). Prints the wall-clock milliseconds of the frames, median
and largest, and how often each plot was drawn: the server's loop is held for
a frame's time.
"""

from __future__ import annotations

import math
import statistics
import time

PERIOD_S = 0.2
SECONDS = 10.0


def frames(mode: str) -> tuple[list[float], float]:
    """Milliseconds of each frame, and draws per plot and second."""
    import panel as pn
    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from app.ingestion.process import Ingestion
    from app.options import DashboardOptions
    from app.page import plot_visibility
    from app.page.plot_visibility import PlotVisibility
    from app.page.session import DashboardSession
    from app.sources import SimulatedInstrument
    from app.testing.many_plots import many_plots

    ingestion = Ingestion(SimulatedInstrument(rate_hz=5.0), ingest_period_s=1.0)
    for _ in range(5):  # every key there before the page is built
        ingestion.orchestrator.update()
        time.sleep(PERIOD_S)
    document = Document()
    with set_curdoc(document):
        session = DashboardSession(ingestion, DashboardOptions(), layout=many_plots(48))
        session._clock.start = lambda document: None  # frames drawn here
        document.add_root(pn.Row(session.sidebar, session.view).get_root(document))
        session.start()
        while session._pending() or session._unplaced():
            session._next_slice()
    share_s = plot_visibility.HIDDEN_SHARE_S
    if mode != "ours":  # the code before: no share of a frame's time
        plot_visibility.HIDDEN_SHARE_S = math.inf
    if mode == "together":  # before decision 061's spread: no share a frame
        new_frame = PlotVisibility.new_frame

        def all_at_once(self: PlotVisibility, out_of_view: int) -> None:
            new_frame(self, out_of_view)
            self._hidden_left = math.inf

        session.visibility.new_frame = all_at_once.__get__(session.visibility)
    ids = [plot.model_id for plot in session._plots.values()]
    session.visibility.model.tags = []  # the page reports none in view
    drawn = dict.fromkeys(ids, 0)
    due = session.visibility.due

    def counted(model_id: str) -> bool:
        shown = due(model_id)
        drawn[model_id] += shown
        return shown

    session.visibility.due = counted
    took = []
    with set_curdoc(document):
        for _ in range(round(SECONDS / PERIOD_S)):
            began = time.perf_counter()
            ingestion.orchestrator.update()
            frame_began = time.perf_counter()
            session.draw_frame()
            took.append((time.perf_counter() - frame_began) * 1000)
            time.sleep(max(0.0, PERIOD_S - (time.perf_counter() - began)))
    session.close(None)
    plot_visibility.HIDDEN_SHARE_S = share_s
    return took[5:], statistics.mean(drawn.values()) / SECONDS


def main() -> None:
    print(
        f"48 plots out of view, a frame every {PERIOD_S} s for {SECONDS:.0f} s "
        "(wall clock of draw_frame; the first 5 frames left out)"
    )
    print(
        f"{'plots out of view':<28} {'median':>8} {'largest':>8} {'draws/plot/s':>13}"
    )
    for label, mode in (
        ("drawn together (before 061)", "together"),
        ("a fourth a frame (before)", "by count"),
        ("and in 10 ms (ours)", "ours"),
    ):
        took, rate = frames(mode)
        print(
            f"{label:<28} {statistics.median(took):>6.1f}ms {max(took):>6.1f}ms "
            f"{rate:>13.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
