"""The operator's page: a frame with the instrument's name, light or dark,
the status and key browser in the sidebar, the plots in the main area."""

from __future__ import annotations

import logging
from pathlib import Path

import panel as pn
from bokeh.models import CustomJS

from app.ingestion.process import Ingestion, process_ingestion
from app.limits import MAX_LAYOUT_URL_CHARS
from app.options import DashboardOptions
from app.page.admission import full_page, process_admission
from app.page.bokehjs_patches import BokehJSPatches
from app.page.custom_views import custom_views
from app.page.design import SYSTEM_FONT
from app.page.layout_file import Layout, LayoutError, parse_url_layout, read_layout_file
from app.page.page_frame import PageFrame
from app.page.session import DashboardSession
from app.page_text import escaped

logger = logging.getLogger(__name__)

LAYOUT_ARG = "layout"
STORAGE_KEY = "dashboard-layout"

# Keeps this browser's copy and the URL in step with the session's layout; a
# layout longer than a link may carry stays in this browser only (decision 073).
SYNC_LAYOUT_JS = """
const text = state.text;
const url = new URL(window.location.href);
if (text) {
  window.localStorage.setItem(storage_key, text);
} else {
  window.localStorage.removeItem(storage_key);
}
if (text && text.length <= max_chars) {
  url.searchParams.set(arg, text);
} else {
  url.searchParams.delete(arg);
}
if (url.href !== window.location.href) {
  window.history.replaceState(null, "", url.href);
}
"""

# A page opened without a layout in its URL asks for this browser's last one:
# through the URL if a link can carry it, else handed to the session directly.
RESTORE_LAYOUT_JS = """
const url = new URL(window.location.href);
const stored = window.localStorage.getItem(storage_key);
if (!url.searchParams.has(arg) && stored && !state.text) {
  if (stored.length <= max_chars) {
    url.searchParams.set(arg, stored);
    window.location.replace(url.href);
  } else {
    stored_layout.text = stored;
  }
} else {
"""
RESTORE_LAYOUT_JS += SYNC_LAYOUT_JS + "}\n"


def initial_layout(
    options: DashboardOptions, url_layout: str | None
) -> tuple[Layout | None, Layout | None, str]:
    """The session's default layout, the layout to show, and what went wrong.

    The URL's layout wins over the ``--layout`` file, which wins over the
    automatic layout; one that cannot be read is said and skipped.
    """
    views = tuple(custom_views())
    messages = []
    default = None
    if options.layout_file:
        try:
            default = read_layout_file(Path(options.layout_file), views)
        except LayoutError as error:
            messages.append(f"{error}; showing the automatic layout instead")
    shown = default
    if url_layout:
        try:
            shown = parse_url_layout(url_layout, views)
        except LayoutError as error:
            messages.append(f"the page's {error}; showing the default layout instead")
    return default, shown, " · ".join(messages)


def _url_layout() -> str | None:
    values = pn.state.session_args.get(LAYOUT_ARG) if pn.state.session_args else None
    return values[0].decode() if values else None


def page_title(options: DashboardOptions) -> str:
    """The page header: the instrument's name, else where data comes from.

    Only what does not change: the source's state and counts change every
    second and belong to the status line, which is updated (decision 077).
    """
    if options.source == "replay":
        # Said where it is always seen, so nobody takes it for live data.
        from app.recording.pace import speed_words

        name = options.title or f"replay of {options.replay_path}"
        return f"{name} · {speed_words(options.replay_speed)}"
    if options.title:
        return options.title
    if options.source == "kafka":
        return f"kafka {options.bootstrap_servers}"
    return "simulated instrument"


def build_page(
    ingestion: Ingestion, options: DashboardOptions
) -> tuple[DashboardSession, PageFrame]:
    """Build one session's page from the URL's layout, the options and the source."""
    default, shown, message = initial_layout(options, _url_layout())
    session = DashboardSession(
        ingestion, options, layout=shown, default=default, message=message
    )
    frame = PageFrame(
        # The header reads its title as HTML (the tab as text: see dashboard.py).
        escaped(page_title(options)),
        sidebar=session.sidebar,
        main=session.view,
        font=SYSTEM_FONT,
    )
    args = {
        "state": session.layout_state,
        "storage_key": STORAGE_KEY,
        "arg": LAYOUT_ARG,
        "max_chars": MAX_LAYOUT_URL_CHARS,
        "stored_layout": session.stored_layout,
    }
    session.layout_state.js_on_change("text", CustomJS(args=args, code=SYNC_LAYOUT_JS))
    # Bokeh's own document_ready event would displace Panel's onload: the
    # session's start tells the browser instead.
    session.connected.js_on_change("text", CustomJS(args=args, code=RESTORE_LAYOUT_JS))
    session.connected.js_on_change("text", session.visibility.watch)
    # Only in the BokehJS they were written for; the page reports them (066).
    session.connected.js_on_change("text", BokehJSPatches().callback)
    return session, frame


def open_page(
    ingestion: Ingestion, options: DashboardOptions
) -> tuple[DashboardSession, PageFrame]:
    """Build the page of the current Bokeh document and hook it to its lifetime.

    Drawing starts when the browser reports the document ready (its websocket
    is connected), and everything stops when Bokeh destroys the session.
    """
    session, page = build_page(ingestion, options)
    pn.state.onload(session.start)
    pn.state.on_session_destroyed(session.close)
    return session, page


def request_page(options: DashboardOptions) -> PageFrame | pn.viewable.Viewable:
    """What a page's request shows: the dashboard's page, or, beyond
    ``--max-sessions``, the page that says the server is full (decision 083).

    Made while Bokeh creates the session, a turn of the server's loop before
    the app's script puts it in the document (`app.page.request_turns`).
    """
    ticket = process_admission(options.max_sessions).admit()
    if ticket is None:
        return full_page(options.max_sessions)
    pn.state.on_session_destroyed(ticket.release)
    return open_page(process_ingestion(options), options)[1]
