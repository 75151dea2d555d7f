"""The status line and the status pill: rates, losses, source state and memory."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass

from app.data import MemoryStats
from app.durations import format_seconds
from app.ingestion.alarms import ALARM, STALE, WARN, AlarmsView
from app.ingestion.process import IngestionSnapshot
from app.page.bokehjs_patches import IN_PLACE
from app.page_text import html_div, markup, text_div
from app.sources.reasons import HISTORIES_RESTARTED


def format_bytes(count: int) -> str:
    """Return a byte count for people: ``512 B``, ``1.5 MiB``, ``1.0 GiB``.

    Binary units: budgets are powers of two, and a 1 GiB budget must not
    read "1.1 GB".
    """
    if count < 1024:
        return f"{count} B"
    size, unit = count / 1024, "KiB"
    for larger in ("MiB", "GiB", "TiB"):
        if size < 1024:
            break
        size, unit = size / 1024, larger
    return f"{size:.1f} {unit}"


def format_status(
    snapshot: IngestionSnapshot,
    rate_per_s: float | None,
    memory: MemoryStats | None = None,
) -> str:
    """Return the status line for one snapshot and the message rate before it."""
    rate = "- msg/s" if rate_per_s is None else f"{rate_per_s:.1f} msg/s"
    state = "connected" if snapshot.source.connected else "not connected"
    buffers = f"buffers {format_bytes(snapshot.memory_bytes)}"
    if memory is not None:
        buffers += f" of {format_bytes(memory.max_bytes)}"
        if memory.truncated_keys:
            buffers += f" ({memory.truncated_keys} keys trimmed)"
    return (
        f"{rate} · {snapshot.rejected} rejected · "
        f"{snapshot.source.description} ({state}) · "
        f"{buffers} · "
        f"{snapshot.sessions} sessions · {snapshot.subscribers} subscribers · "
        f"process {snapshot.process}"
    )


class StatusLine:
    """A Bokeh ``Div`` named ``status`` showing the ingestion's counters."""

    def __init__(self, width: int = 900) -> None:
        self.div = text_div("starting", name="status", width=width, tags=[IN_PLACE])
        self._previous: IngestionSnapshot | None = None

    def update(
        self, snapshot: IngestionSnapshot, memory: MemoryStats | None = None
    ) -> None:
        """Show ``snapshot``; the rate is taken over the time since the last one."""
        rate = None
        previous = self._previous
        if previous is not None and snapshot.at_ns > previous.at_ns:
            seconds = (snapshot.at_ns - previous.at_ns) / 1e9
            rate = (snapshot.applied - previous.applied) / seconds
        self._previous = snapshot
        self.show(format_status(snapshot, rate, memory))

    def show(self, text: str) -> None:
        """Show a status line read elsewhere; sends nothing when it did not change."""
        if text != self.div.text:
            self.div.text = text


GREEN, AMBER, RED, ALARMED = "live", "degraded", "down", "alarm"
"""The pill's states, shown green, amber, red and red (a key in alarm)."""

PILL_COLOURS = {GREEN: "#2e9d3e", AMBER: "#e0a000", RED: "#d62728", ALARMED: "#d62728"}

LOSSES_REMEMBERED_NS = 30_000_000_000
"""The pill stays amber this long after anything was lost, unless the
options say otherwise (``--losses-remembered``, decision 071)."""

FRAMES_SKIPPED = "frames skipped by this browser"
"""The loss of a session whose browser had not shown the previous frame."""

FRAMES_SKIPPED_TOLERATED = 10
"""Skipped frames within the window that the pill lets pass: a browser that
stumbles now and then still shows the newest data a period later (decision 071)."""


@dataclass(frozen=True)
class Health:
    """What the pill shows: a state and the reason for it."""

    state: str
    reason: str
    label: str = ""
    """The pill's word; the state's (``LIVE``...) if empty."""


def loss_totals(snapshot: IngestionSnapshot, frames_skipped: int = 0) -> Counter[str]:
    """Everything lost so far, per reason: the source's skipped and dropped
    records, the messages the orchestrator rejected, the histories restarted
    and the session's skipped frames. Running totals; `LossWindow` turns them
    into recent losses."""
    totals: Counter[str] = Counter(snapshot.source.lost)
    totals.update(snapshot.rejects)
    if snapshot.restarted:
        totals[HISTORIES_RESTARTED] += snapshot.restarted
    if frames_skipped:
        totals[FRAMES_SKIPPED] += frames_skipped
    return totals


class LossWindow:
    """Losses within the last `span_ns`, from running totals read once a second.

    A loss counts from the first reading whose total holds it until no reading
    of the span is older than it: totals before the first reading (losses
    before the page opened) never count.
    """

    def __init__(self, span_ns: int = LOSSES_REMEMBERED_NS) -> None:
        self._span_ns = span_ns
        self._readings: deque[tuple[int, Mapping[str, int]]] = deque()

    def recent(self, at_ns: int, totals: Mapping[str, int]) -> dict[str, int]:
        """What was lost within the span before `at_ns`, per reason, largest first."""
        self._readings.append((at_ns, dict(totals)))
        while self._readings[0][0] < at_ns - self._span_ns:
            self._readings.popleft()
        oldest = self._readings[0][1]
        lost = {
            reason: count - oldest.get(reason, 0)
            for reason, count in totals.items()
            if count > oldest.get(reason, 0)
        }
        return dict(sorted(lost.items(), key=lambda item: (-item[1], item[0])))


def merged_losses(*recent: Mapping[str, int]) -> dict[str, int]:
    """Recent losses of several windows as one, per reason, largest first."""
    merged: Counter[str] = Counter()
    for lost in recent:
        merged.update(lost)
    return dict(sorted(merged.items(), key=lambda item: (-item[1], item[0])))


def health(
    snapshot: IngestionSnapshot,
    *,
    stale_keys: tuple[str, ...],
    lost_lately: Mapping[str, int],
    truncated_keys: int = 0,
    remembered_ns: int = LOSSES_REMEMBERED_NS,
    alarms: AlarmsView | None = None,
) -> Health:
    """Judge the dashboard: down if the source is, amber if anything lags or is lost.

    Parameters
    ----------
    snapshot:
        The ingestion's counters.
    stale_keys:
        Shown keys whose newest value is older than they usually get.
    lost_lately:
        Records, messages and frames lost within `remembered_ns`, per
        reason (`LossWindow`); skipped frames count beyond
        `FRAMES_SKIPPED_TOLERATED` only.
    truncated_keys:
        Keys whose history was trimmed to stay within the memory budget.
    remembered_ns:
        The span of `lost_lately`, said in the reason.
    alarms:
        The process's alarms: a key in alarm turns the pill red, naming the
        key, its value and the limit; a warning or a silence, amber.
    """
    if not snapshot.source.connected:
        return Health(RED, f"source down: {snapshot.source.description}")
    reasons = []
    in_alarm: list[str] = []
    if alarms is not None:
        for state in (ALARM, STALE, WARN):
            named = sorted(
                (a for a in alarms.active.values() if a.state == state),
                key=lambda alarm: str(alarm.key),
            )
            if named:
                words = "; ".join(alarm.describe() for alarm in named[:3])
                more = f" (+{len(named) - 3} more)" if len(named) > 3 else ""
                text = f"{state}: {words}{more}"
                (in_alarm if state == ALARM else reasons).append(text)
    if snapshot.source.impaired:
        # Part of the data cannot arrive, the rest does: not down (decision 076).
        reasons.append(f"part of the source down: {snapshot.source.impaired}")
    if stale_keys:
        names = ", ".join(stale_keys[:3]) + (" ..." if len(stale_keys) > 3 else "")
        reasons.append(f"{len(stale_keys)} stale: {names}")
    lost_lately = {
        reason: count
        for reason, count in lost_lately.items()
        if reason != FRAMES_SKIPPED or count > FRAMES_SKIPPED_TOLERATED
    }
    if lost_lately:
        seconds = format_seconds(remembered_ns / 1e9)
        each = ", ".join(f"{count} {reason}" for reason, count in lost_lately.items())
        reasons.append(f"lost in the last {seconds}: {each}")
    if truncated_keys:
        reasons.append(f"{truncated_keys} keys trimmed to the memory budget")
    if in_alarm:
        return Health(ALARMED, "; ".join(in_alarm + reasons))
    if reasons:
        return Health(AMBER, "; ".join(reasons))
    replay = snapshot.source.replay
    if replay:
        # Not live data, whatever its health: the pill says so (decision 019).
        return Health(GREEN, snapshot.source.description, label=replay)
    return Health(GREEN, f"live: {snapshot.source.description}")


class StatusPill:
    """A large coloured pill (Bokeh ``Div`` named ``status-pill``) with its reason."""

    def __init__(self, remembered_ns: int = LOSSES_REMEMBERED_NS) -> None:
        self.div = html_div(
            name="status-pill", sizing_mode="stretch_width", tags=[IN_PLACE]
        )
        self.health: Health | None = None
        self.losses = LossWindow(remembered_ns)

    def show(self, health: Health) -> None:
        """Show `health`; sends nothing when it did not change."""
        if health == self.health:
            return
        self.health = health
        colour = PILL_COLOURS[health.state]
        self.div.text = markup(
            '<div title="{reason}" style="display:flex;align-items:center;gap:10px">'
            '<span class="pill {state}" style="background:{colour};'
            "color:white;font:bold 160% sans-serif;padding:6px 18px;"
            'border-radius:999px">{label}</span>'
            '<span class="pill-reason" style="font-size:85%">{reason}</span></div>',
            reason=health.reason,
            state=health.state,
            colour=colour,
            label=health.label or health.state.upper(),
        )
