"""The sidebar's word on access: who is signed in and in which role, the warning
of a page served without sign-in, and for operators the latest actions
(decisions 079, 080, 081)."""

from __future__ import annotations

from datetime import datetime

import panel as pn
from bokeh.models import Div

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
    """The sidebar's lines on access for one session (built in its document).

    The warning heads the sidebar and is made at once; the rest closes it and
    is made by `make_view`, which a served page calls once its browser
    connected (decision 064).
    """

    def __init__(self, audit: AuditLog, *, no_sign_in: bool) -> None:
        self._audit = audit
        self._permission = may(CLEAR_HISTORY)
        self.operator = self._permission.role is Role.OPERATOR
        self._signed_in = sign_in_on()
        warning = "" if self._signed_in or not no_sign_in else NO_SIGN_IN_WARNING
        self.warning = text_div(
            warning, name="sign-in-warning", visible=bool(warning), styles=WARNING_STYLE
        )
        # Made by `make_view`.
        self.who: Div | None = None
        self.sign_out: Div | None = None
        self.actions: Div | None = None
        self.view: pn.Column | None = None

    def make_view(self) -> pn.Column:
        """Who is signed in, the way out, and for operators the latest actions."""
        if self.view is not None:
            return self.view
        who = ""
        if self._signed_in:
            permission = self._permission
            who = f"signed in as {permission.who} · {permission.role.value}"
            if not self.operator:
                who += " (operators clear histories)"
        self.who = text_div(who, name="signed-in", visible=bool(who))
        self.sign_out = html_div(name="sign-out", visible=self._signed_in)
        self.sign_out.text = markup('<a href="./logout">sign out</a>')
        # Only operators see what operators did: a viewer has no use for it.
        self.actions = text_div(
            "",
            name="recent-actions",
            visible=self.operator,
            tags=[IN_PLACE],
            styles={"white-space": "pre-line", "font-size": "85%"},
        )
        self.view = pn.Column(
            pn.pane.Bokeh(self.who),
            pn.pane.Bokeh(self.sign_out),
            pn.pane.Markdown(
                "### Recent actions", margin=(0, 10), visible=self.operator
            ),
            pn.pane.Bokeh(self.actions),
            sizing_mode="stretch_width",
        )
        return self.view

    def refresh(self, now_ns: int) -> None:
        """Show the latest actions to an operator (once a second, with the status)."""
        if not self.operator or self.actions is None:
            return
        entries = self._audit.latest(ACTIONS_SHOWN)
        text = "\n".join(action_text(entry, now_ns) for entry in entries) or "none yet"
        if text != self.actions.text:
            self.actions.text = text
