"""The status line: message rate, rejects, source state and buffer memory."""

from __future__ import annotations

from bokeh.models import Div

from .ingestion import IngestionSnapshot


def format_bytes(count: int) -> str:
    """Return a byte count for people: ``512 B``, ``1.5 MB``."""
    if count < 1000:
        return f"{count} B"
    size, unit = count / 1000, "kB"
    for larger in ("MB", "GB"):
        if size < 1000:
            break
        size, unit = size / 1000, larger
    return f"{size:.1f} {unit}"


def format_status(snapshot: IngestionSnapshot, rate_per_s: float | None) -> str:
    """Return the status line for one snapshot and the message rate before it."""
    rate = "- msg/s" if rate_per_s is None else f"{rate_per_s:.1f} msg/s"
    state = "connected" if snapshot.source.connected else "not connected"
    return (
        f"{rate} · {snapshot.rejected} rejected · "
        f"{snapshot.source.description} ({state}) · "
        f"buffers {format_bytes(snapshot.memory_bytes)} · "
        f"{snapshot.sessions} sessions · {snapshot.subscribers} subscribers · "
        f"process {snapshot.process}"
    )


class StatusLine:
    """A Bokeh ``Div`` named ``status`` showing the ingestion's counters."""

    def __init__(self) -> None:
        self.div = Div(text="starting", name="status", width=900)
        self._previous: IngestionSnapshot | None = None

    def update(self, snapshot: IngestionSnapshot) -> None:
        """Show ``snapshot``; the rate is taken over the time since the last one."""
        rate = None
        previous = self._previous
        if previous is not None and snapshot.at_ns > previous.at_ns:
            seconds = (snapshot.at_ns - previous.at_ns) / 1e9
            rate = (snapshot.applied - previous.applied) / seconds
        self._previous = snapshot
        text = format_status(snapshot, rate)
        if text != self.div.text:
            self.div.text = text
