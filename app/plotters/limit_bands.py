"""Alarm limits drawn on a 0-D key's plots: bands on a time series, and the
colour of the band a value panel's value lies in (decision 095)."""

from __future__ import annotations

from bokeh.models import BoxAnnotation
from bokeh.plotting import figure

from app.alarm_limits import AlarmLimits

WARN_FILL, ALARM_FILL = "#e0a000", "#d62728"
BAND_ALPHA = 0.12
"""Faint: the bands lie under the line and must not hide it."""
PANEL_FILLS = {"ok": "#ffffff", "warn": "#fff1cc", "alarm": "#fbd5d5"}


def band_of(limits: AlarmLimits | None, value: float) -> str:
    """Which band ``value`` lies in: ``ok``, ``warn`` or ``alarm`` (no deadband:
    the plot shows where the value is, the alarm state how long it was)."""
    if limits is None:
        return "ok"
    for kind in ("alarm", "warn"):
        high, low = getattr(limits, f"{kind}_high"), getattr(limits, f"{kind}_low")
        if (high is not None and value > high) or (low is not None and value < low):
            return kind
    return "ok"


_DEFAULT = BoxAnnotation()


class LimitBands:
    """Four bands (alarm and warning, high and low) on one figure, shown as
    the limits say; made with the first limits, changed in place after."""

    def __init__(self) -> None:
        self._boxes: dict[str, BoxAnnotation] = {}

    def show(self, fig: figure, limits: AlarmLimits | None) -> None:
        """Draw ``limits`` on ``fig`` (none: the bands hide)."""
        if limits is None and not self._boxes:
            return
        if not self._boxes:
            for name in ("alarm_high", "warn_high", "warn_low", "alarm_low"):
                fill = ALARM_FILL if name.startswith("alarm") else WARN_FILL
                box = BoxAnnotation(
                    fill_color=fill,
                    fill_alpha=BAND_ALPHA,
                    line_alpha=0,
                    level="underlay",
                    visible=False,
                    name=f"limit-band:{name}",
                )
                self._boxes[name] = box
                fig.add_layout(box)
        limits = limits or AlarmLimits()
        spans = {
            "alarm_high": (limits.alarm_high, None),
            "warn_high": (limits.warn_high, limits.alarm_high),
            "warn_low": (limits.alarm_low, limits.warn_low),
            "alarm_low": (None, limits.alarm_low),
        }
        for name, (bottom, top) in spans.items():
            edge = bottom if name.endswith("high") else top
            box = self._boxes[name]
            if edge is None:
                box.visible = False
                continue
            # An open end is the frame's edge, the box's own default.
            box.update(
                bottom=_DEFAULT.bottom if bottom is None else bottom,
                top=_DEFAULT.top if top is None else top,
                visible=True,
            )
