"""The sidebar's word on access: who is signed in and in which role, the warning
of a page served without sign-in, and for operators the latest actions
(decisions 079, 080, 081)."""

from __future__ import annotations

from datetime import datetime

import panel as pn

from app.audit import REFUSED, AuditEntry, AuditLog
from app.durations import coarse_duration
from app.page.bokehjs_patches import IN_PLACE
from app.page_text import html_div, markup, text_div
from app.roles import CLEAR_HISTORY, Role, may
from app.sign_in import NO_SIGN_IN_WARNING, sign_in_on

ACTIONS_SHOWN = 5
WARNING_STYLE = {"background": "#ffe2a0", "color": "#7a4f00", "padding": "4px"}


def _iso_ns(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(moment.timestamp() * 1e9)


def action_text(entry: AuditEntry, now_ns: int) -> str:
    """``2 min ago · alice: clear history monitor/m1``; relative, as a clear says it."""
    at_ns = _iso_ns(entry.time)
    when = entry.time
    if at_ns is not None:
        seconds = max(0.0, (now_ns - at_ns) / 1e9)
        when = "just now" if seconds < 1 else f"{coarse_duration(seconds)} ago"
    refused = " (refused)" if entry.outcome == REFUSED else ""
    return f"{when} · {entry.user}: {entry.action} {entry.key}{refused}"


class AccessBox:
    """The sidebar's lines on access for one session (built in its document)."""

    def __init__(self, audit: AuditLog, *, no_sign_in: bool) -> None:
        self._audit = audit
        permission = may(CLEAR_HISTORY)
        self.operator = permission.role is Role.OPERATOR
        signed_in = sign_in_on()
        who = ""
        if signed_in:
            who = f"signed in as {permission.who} · {permission.role.value}"
            if not self.operator:
                who += " (operators clear histories)"
        self.who = text_div(who, name="signed-in", visible=bool(who))
        self.sign_out = html_div(name="sign-out", visible=signed_in)
        self.sign_out.text = markup('<a href="./logout">sign out</a>')
        warning = "" if signed_in or not no_sign_in else NO_SIGN_IN_WARNING
        self.warning = text_div(
            warning, name="sign-in-warning", visible=bool(warning), styles=WARNING_STYLE
        )
        # Only operators see what operators did: a viewer has no use for it.
        self.actions = text_div(
            "",
            name="recent-actions",
            visible=self.operator,
            tags=[IN_PLACE],
            styles={"white-space": "pre-line", "font-size": "85%"},
        )
        self._heading = pn.pane.Markdown(
            "### Recent actions", margin=(0, 10), visible=self.operator
        )
        # The warning heads the sidebar; the rest closes it.
        self.warning_view = pn.pane.Bokeh(self.warning)
        self.view = pn.Column(
            pn.pane.Bokeh(self.who),
            pn.pane.Bokeh(self.sign_out),
            self._heading,
            pn.pane.Bokeh(self.actions),
            sizing_mode="stretch_width",
        )

    def refresh(self, now_ns: int) -> None:
        """Show the latest actions to an operator (once a second, with the status)."""
        if not self.operator:
            return
        entries = self._audit.latest(ACTIONS_SHOWN)
        text = "\n".join(action_text(entry, now_ns) for entry in entries) or "none yet"
        if text != self.actions.text:
            self.actions.text = text
