"""Benchmark: combining a frame's held changes, Bokeh's scan against ours (105).

A session draws a frame under a hold of its document: each change is combined
with an earlier one of the same model's property, or kept. Bokeh 3.9 finds
that earlier change by a scan of all changes held (`_scan` here is that
loop); `combine` looks it up. Printed per frame size, medians of `REPEATS`:
both, in the same run, and the ratio. A frame of a 48-plot page held 444
changes (decision 105); half of them here change a property changed before
in the frame (a range's start and end, a header's text).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bokeh.document import Document
from bokeh.document.events import ModelChangedEvent
from bokeh.models import Div

from app.page.held_events import _scan, combine

SIZES = (50, 444, 2000)
REPEATS = 21


def frame_s(changes: int, combine_one: Callable[[object, list], None]) -> float:
    """Seconds to hold `changes` changes, the second half repeating the first
    half's properties."""
    document = Document()
    models = [Div() for _ in range(changes // 2)]
    events = [
        ModelChangedEvent(document, model, "text", value)
        for value in (1, 2)
        for model in models
    ]
    held: list = []
    began = time.perf_counter()
    for event in events:
        combine_one(event, held)
    took = time.perf_counter() - began
    assert len(held) == len(models)
    return took


def main() -> None:
    print(f"changes in a frame, medians of {REPEATS}")
    print(f"{'changes':>8} {'bokeh scan':>12} {'by key':>10} {'ratio':>7}")
    for changes in SIZES:
        theirs = statistics.median(frame_s(changes, _scan) for _ in range(REPEATS))
        ours = statistics.median(frame_s(changes, combine) for _ in range(REPEATS))
        print(
            f"{changes:>8} {theirs * 1000:>10.2f}ms {ours * 1000:>8.2f}ms "
            f"{theirs / ours:>6.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
