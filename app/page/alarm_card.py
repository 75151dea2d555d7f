"""A 0-D key's card and its alarm: a red (or amber) card, the state in words,
acknowledge, the limits drawn on its plot, and an editor of its limits.

`AlarmCards` adds these to each card of a 0-D key (`AlarmCards.card`, called
once where a card is made) and shows the period's alarms on them
(`AlarmCards.refresh`). The editor is built on its first opening only: a
page of a hundred values does not carry a hundred editors (decision 064).
Setting limits and acknowledging are operator actions (decisions 096, 097).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import panel as pn
from bokeh.events import ButtonClick
from bokeh.models import Button, Toggle
from bokeh.models import Row as BokehRow

from app.alarm_limits import BOUNDS, AlarmLimits, AlarmLimitsError, limits_from
from app.audit import REFUSED, AuditLog
from app.bokeh_buttons import button_sheet, header_button
from app.data import KeyInfo
from app.ingestion.alarms import AlarmsView, AlarmWatch, KeyAlarm
from app.page.alarm_list import STATE_COLOURS
from app.page.bokehjs_patches import IN_PLACE
from app.page.card import PlotCard
from app.page_text import html_div, markup
from app.plot_spec import VALUE, PlotSpec, plot_kind
from app.plotters import Plotter
from app.roles import ACKNOWLEDGE_ALARM, SET_LIMITS, may

EDITED = (*BOUNDS, "deadband", "grace_s", "stale_s")
"""The editor's fields, in its order."""
Schedule = Callable[[Callable[[], None]], None]
_FRAME = ("border", "border-radius")


class _CardAlarm:
    """The alarm parts of one card."""

    def __init__(
        self,
        spec: PlotSpec,
        card: pn.Column,
        plotter: Plotter,
        alarms: AlarmWatch,
        audit: AuditLog,
        schedule: Schedule,
    ) -> None:
        self.key = key = spec.key
        self._card = weakref.ref(card)
        self._plotter = plotter
        self._alarms = alarms
        self._audit = audit
        self._schedule = schedule
        self._shown: KeyAlarm | None = None
        self._limits: AlarmLimits | None = None
        # Named by view too: a key's value panel and time series each have one.
        self.badge = html_div(name=f"alarm-badge:{spec.view}:{key}", tags=[IN_PLACE])
        # Bokeh's models, in the card's header line (decision 064).
        self._sheet = button_sheet()
        self.toggle = header_button(
            Toggle, "limits", 70, "alarm-limits-toggle", self._sheet
        )
        self.toggle.on_change("active", lambda attr, old, new: self._on_toggle())
        # Made when first needed: each model costs every card of a 0-D key
        # its creation and its copy in the browser (decision 069).
        self.acknowledge: Button | None = None
        self.editor: pn.Column | None = None
        self._inputs: dict[str, pn.widgets.FloatInput] = {}
        self._said = pn.pane.HTML("", css_classes=["alarm-limits-said"])
        self.view = BokehRow(
            children=[self.badge, self.toggle], css_classes=["alarm-parts"]
        )

    def show(self, alarm: KeyAlarm | None, limits: AlarmLimits | None) -> None:
        """Show the key's state on its card and its limits on its plot."""
        if limits != self._limits:
            self._limits = limits
            self._plotter.show_limits(limits)
        if alarm == self._shown:
            return
        self._shown = alarm
        card = self._card()
        if alarm is None:
            self.badge.text = ""
            if self.acknowledge is not None:
                self.acknowledge.visible = False
            self._frame(card, None)
            return
        colour = STATE_COLOURS[alarm.state]
        self.badge.text = markup(
            '<span class="alarm-state alarm-{state}" style="color:{colour};'
            'font-weight:bold">{label}</span> {what}{acknowledged}',
            state=alarm.state,
            colour=colour,
            label=alarm.state.upper(),
            what=alarm.describe(),
            acknowledged=" · acknowledged" if alarm.acknowledged else "",
        )
        permission = may(ACKNOWLEDGE_ALARM)
        if self.acknowledge is None:
            self.acknowledge = header_button(
                Button, "acknowledge", 110, "alarm-acknowledge", self._sheet
            )
            self.acknowledge.on_event(
                ButtonClick, lambda event: self._schedule(self._on_acknowledge)
            )
            self.view.children = [self.badge, self.acknowledge, self.toggle]
        self.acknowledge.update(
            visible=not alarm.acknowledged,
            disabled=not permission.allowed,
            # An attribute's value, set by the browser as text.
            html_attributes={
                "title": permission.reason or f"acknowledge the alarm of {self.key}"
            },
        )
        self._frame(card, colour)

    @staticmethod
    def _frame(card: pn.Column | None, colour: str | None) -> None:
        """Frame the card in ``colour`` (None: no frame), keeping its other styles."""
        if card is None:
            return
        styles = {k: v for k, v in card.styles.items() if k not in _FRAME}
        if colour is not None:
            styles |= {"border": f"3px solid {colour}", "border-radius": "6px"}
        card.styles = styles

    def _on_acknowledge(self) -> None:
        permission = may(ACKNOWLEDGE_ALARM)
        if not permission.allowed:
            self._audit.record(permission.who, ACKNOWLEDGE_ALARM, self.key, REFUSED)
            if self.acknowledge is not None:
                self.acknowledge.disabled = True
            return
        if self._alarms.acknowledge(self.key):
            self._audit.record(permission.who, ACKNOWLEDGE_ALARM, self.key)

    def _on_toggle(self) -> None:
        if self.toggle.active and self.editor is None:
            self._build_editor()
        if self.editor is not None:
            self.editor.visible = self.toggle.active

    def _build_editor(self) -> None:
        limits = self._alarms.view.limits.get(self.key) or AlarmLimits()
        permission = may(SET_LIMITS)
        for name in EDITED:
            value = getattr(limits, name)
            self._inputs[name] = pn.widgets.FloatInput(
                label=name,
                value=None if value in (None, 0.0) and name != "deadband" else value,
                width=95,
                css_classes=[f"alarm-limit-{name}"],
                disabled=not permission.allowed,
            )
        apply = pn.widgets.Button(
            label="set limits",
            css_classes=["alarm-limits-set"],
            disabled=not permission.allowed,
            description=permission.reason or f"judge {self.key} by these limits",
        )
        apply.on_click(lambda event: self._schedule(self._on_set))
        inputs = list(self._inputs.values())
        self.editor = pn.Column(
            pn.Row(*inputs[:4], margin=0),
            pn.Row(*inputs[4:], apply, margin=0),
            self._said,
            margin=0,
        )
        card = self._card()
        if card is not None:
            card.insert(1, self.editor)  # under the header, as the settings

    def _on_set(self) -> None:
        permission = may(SET_LIMITS)
        if not permission.allowed:
            self._audit.record(permission.who, SET_LIMITS, self.key, REFUSED)
            return
        fields = {name: widget.value for name, widget in self._inputs.items()}
        try:
            limits = limits_from({k: v for k, v in fields.items() if v is not None})
        except AlarmLimitsError as error:
            self._said.object = markup("{key}: {error}", key=self.key, error=error)
            return
        self._alarms.store(self.key, limits)
        self._audit.record(permission.who, SET_LIMITS, self.key)
        self._said.object = markup(
            "{key}: {limits}", key=self.key, limits=limits.describe()
        )


class AlarmCards:
    """The alarm parts of one session's cards of 0-D keys."""

    def __init__(self, alarms: AlarmWatch, audit: AuditLog, schedule: Schedule) -> None:
        self._alarms = alarms
        self._audit = audit
        self._schedule = schedule
        # A card taken off the page takes its parts with it.
        self._parts: weakref.WeakSet[_CardAlarm] = weakref.WeakSet()
        self._version = -1

    def card(
        self, spec: PlotSpec, info: KeyInfo, plotter: Plotter, card: PlotCard
    ) -> None:
        """Give ``card`` the alarm parts of ``spec``'s key if it is 0-D."""
        if plot_kind(info) != VALUE:
            return
        parts = _CardAlarm(
            spec, card.view, plotter, self._alarms, self._audit, self._schedule
        )
        # The card holds its parts (their widgets' callbacks hold them); the
        # set only finds them. In its header: a row below the plot would take
        # the plot's room (decision 085).
        card.add_controls(parts.view)
        self._parts.add(parts)
        view = self._alarms.view
        parts.show(view.active.get(spec.key), view.limits.get(spec.key))

    def refresh(self, view: AlarmsView) -> None:
        """Show the period's alarms on the cards (only when they changed)."""
        if view.version == self._version:
            return
        self._version = view.version
        for parts in list(self._parts):
            parts.show(view.active.get(parts.key), view.limits.get(parts.key))
