"""The sidebar's Alarms: the keys not ok, the last transitions, notifications.

The list's text is made once per period for every page of the process
(`alarm_list_text`, from `app.page.page_facts`); a session only shows it.
Each session tells its own browser of a new alarm: a hidden text that
changes, whose JavaScript callback shows a browser notification (once the
operator allowed them with the button that asks) and, if the operator
switched it on, a tone made by the browser's WebAudio: nothing is fetched
from outside (decision 078). Operators acknowledge every active alarm at
once; a viewer's button is disabled and a forged click refused (decision 097).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import panel as pn
from bokeh.models import Button, CustomJS, Toggle

from app.audit import REFUSED, AuditLog
from app.ingestion.alarms import ALARM, OK, STALE, WARN, AlarmsView, AlarmWatch
from app.page.bokehjs_patches import IN_PLACE
from app.page_text import html_div, markup, text_div
from app.roles import ACKNOWLEDGE_ALARM, may

STATE_COLOURS = {ALARM: "#d62728", STALE: "#a36a00", WARN: "#e0a000", OK: "#2e9d3e"}
"""A state's colour wherever the page shows it (the pill's red and amber)."""
NOTIFIED = (ALARM, STALE)
"""States a browser is told of as they start."""

NOTIFY_JS = """
const text = cb_obj.text;
if (!text) return;
const body = text.split("\\n")[0];
if (window.Notification && Notification.permission === "granted") {
  new Notification("Dashboard alarm", {body: body, tag: "dashboard-alarm"});
}
if (sound.active) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (Context) {
    const context = new Context();
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.type = "square";
    tone.frequency.value = 880;
    gain.gain.value = 0.1;
    tone.connect(gain);
    gain.connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.4);
  }
}
"""

ASK_JS = """
if (!window.Notification) { state.text = "this browser has no notifications"; return; }
Notification.requestPermission().then((answer) => {
  state.text = "notifications: " + answer;
});
"""


def _clock(at_ns: int) -> str:
    return datetime.fromtimestamp(at_ns / 1e9, tz=UTC).strftime("%H:%M:%S")


def alarm_list_text(view: AlarmsView, note: str = "") -> str:
    """The sidebar's list as HTML: why limits are missing, the active keys,
    then the last transitions (UTC times), newest first."""
    rows = []
    if note:
        rows.append(markup('<div class="alarm-note">{note}</div>', note=note))
    for alarm in sorted(view.active.values(), key=lambda alarm: str(alarm.key)):
        rows.append(
            markup(
                '<div class="alarm-active alarm-{state}" style="color:{colour}">'
                "<b>{label}</b> {what}{acknowledged}</div>",
                state=alarm.state,
                colour=STATE_COLOURS[alarm.state],
                label=alarm.state.upper(),
                what=alarm.describe(),
                acknowledged=" · acknowledged" if alarm.acknowledged else "",
            )
        )
    if not view.active:
        rows.append(
            markup(
                '<div class="alarm-none">{text}</div>',
                text=f"none active · {len(view.limits)} keys with limits",
            )
        )
    if view.recent:
        lines = "".join(
            markup(
                '<div class="alarm-transition">{at} {key} {old} → {new}: '
                "{value}, {limit}</div>",
                at=_clock(transition.at_ns),
                key=str(transition.key),
                old=transition.old,
                new=transition.new,
                value="no value"
                if transition.value is None
                else f"{transition.value:.6g}",
                limit=transition.limit,
            )
            for transition in view.recent
        )
        rows.append(
            f"<details><summary>last {len(view.recent)} transitions (UTC)"
            f"</summary>{lines}</details>"
        )
    return "".join(rows)


class AlarmList:
    """One session's Alarms in the sidebar.

    Parameters
    ----------
    alarms:
        The process's alarm watch, which acknowledgements go to.
    audit:
        Where each acknowledgement (and refusal) is written.
    schedule:
        Runs an operator's action as a callback of the session's document.
    """

    def __init__(
        self,
        alarms: AlarmWatch,
        audit: AuditLog,
        schedule: Callable[[Callable[[], None]], None],
    ) -> None:
        self._alarms = alarms
        self._audit = audit
        self._schedule = schedule
        self._seen_ns: int | None = None
        self.list = html_div(
            name="alarm-list",
            tags=[IN_PLACE],
            styles={"font-size": "85%"},
            sizing_mode="stretch_width",
        )
        self.notify = text_div(name="alarm-notify", visible=False)
        # A toggle, not a checkbox: the page's checkboxes are the plots' own.
        self.sound = Toggle(label="sound", active=False, name="alarm-sound")
        self.permission = text_div(name="notification-permission")
        self.ask = Button(label="Allow notifications", name="allow-notifications")
        self.ask.js_on_event(
            "button_click", CustomJS(args={"state": self.permission}, code=ASK_JS)
        )
        self.notify.js_on_change(
            "text", CustomJS(args={"sound": self.sound}, code=NOTIFY_JS)
        )
        permission = may(ACKNOWLEDGE_ALARM)
        self.acknowledge = pn.widgets.Button(
            label="Acknowledge all",
            css_classes=["alarm-acknowledge-all"],
            disabled=not permission.allowed,
            description=permission.reason or "acknowledge every active alarm",
            sizing_mode="stretch_width",
        )
        self.acknowledge.on_click(lambda event: self._schedule(self.acknowledge_all))
        self.view = pn.Column(
            pn.pane.Markdown("### Alarms", margin=(0, 10)),
            pn.pane.Bokeh(self.list),
            self.acknowledge,
            pn.Row(pn.pane.Bokeh(self.ask), pn.pane.Bokeh(self.sound)),
            pn.pane.Bokeh(self.permission),
            pn.pane.Bokeh(self.notify),
            sizing_mode="stretch_width",
        )

    def refresh(self, view: AlarmsView, text: str) -> None:
        """Show the period's list; tell the browser of alarms begun since the
        last refresh (none of those before the page opened)."""
        if text != self.list.text:
            self.list.text = text
        seen = self._seen_ns
        newest = view.recent[0].at_ns if view.recent else 0
        self._seen_ns = newest
        if seen is None:
            return
        fresh = [
            transition
            for transition in view.recent
            if transition.at_ns > seen and transition.new in NOTIFIED
        ]
        if fresh:
            first = fresh[0]
            alarm = view.active.get(first.key)
            body = (
                f"{first.new.upper()} {alarm.describe()}"
                if alarm is not None
                else first.line()
            )
            more = f" (+{len(fresh) - 1} more)" if len(fresh) > 1 else ""
            # The time makes each notice a change, even with the same words.
            self.notify.text = f"{body}{more}\n{first.at_ns}"

    def acknowledge_all(self) -> None:
        """Acknowledge every active alarm (an operator's click, checked again)."""
        permission = may(ACKNOWLEDGE_ALARM)
        active = [
            key
            for key, alarm in self._alarms.view.active.items()
            if not alarm.acknowledged
        ]
        if not permission.allowed:
            # Only a page changed in the browser sends this (the button is disabled).
            self._audit.record(permission.who, ACKNOWLEDGE_ALARM, "all", REFUSED)
            self.acknowledge.disabled = True
            return
        for key in active:
            if self._alarms.acknowledge(key):
                self._audit.record(permission.who, ACKNOWLEDGE_ALARM, key)
