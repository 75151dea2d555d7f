"""The page frame: the header naming the instrument, the sidebar and the main
area, drawn by the page's HTML rather than by models (decision 106).

Panel's `FastListTemplate` made some 36 Bokeh models and a dozen Panel objects
for every page, 40-54 ms of each page's request on the 2-core test machine, in
which no other session drew. The page frame has nothing to update: its header, the
light/dark switch and the sidebar's toggle are plain HTML in the page Bokeh
writes, and only the sidebar and the main area are Bokeh roots.
"""

from __future__ import annotations

import functools
from pathlib import Path

import panel as pn
from bokeh.document import Document
from bokeh.themes import Theme
from panel.io.resources import parse_template

from app.page.design import Fast

ACCENT = "#1f5fa6"
"""The header's colour, light and dark alike."""
SIDEBAR_WIDTH_PX = 340

FRAME_HTML = (Path(__file__).with_name("templates") / "page_frame.html").read_text()
"""Panel's page (its resources, the dark background while loading) with the
frame in its body; Panel passes it `theme_name`, the session's theme. Read
once; Panel compiles it once a process."""


@functools.cache
def figure_theme(theme: str) -> Theme | None:
    """The figures' Bokeh theme on a page of `theme`, made once a process."""
    return Fast(theme=theme).theme.bokeh_theme


class PageFrame:
    """One session's page: its title, sidebar and main area.

    Parameters
    ----------
    title:
        The header's text as HTML: escaped by the caller (the tab reads the
        document's title as text).
    sidebar, main:
        What the sidebar and the main area show; each is one Bokeh root.
    font:
        The page's text, a CSS font stack.
    """

    def __init__(
        self,
        title: str,
        sidebar: pn.viewable.Viewable,
        main: pn.viewable.Viewable,
        font: str,
    ) -> None:
        self.title = title
        self.sidebar = sidebar
        self.main = main
        self._font = font

    def server_doc(self, doc: Document | None = None) -> Document:
        """Put the page in `doc` (the current session's by default)."""
        doc = doc if doc is not None else pn.state.curdoc
        browser_info = pn.config.browser_info
        try:
            for name, part in (("sidebar", self.sidebar), ("main", self.main)):
                first = len(doc.roots)
                # Panel adds its browser facts with each root: once is enough.
                # Set and put back by hand: `pn.config.set` copies and puts
                # back every setting, 3 ms of the page's request.
                pn.config.browser_info = browser_info and name == "sidebar"
                part.server_doc(doc, location=False)
                # The part's root comes first of what Panel added; the page
                # frame's HTML places it by name.
                doc.roots[first].name = name
        finally:
            pn.config.browser_info = browser_info
        # The session's theme, as Panel read it from the URL (``?theme=dark``).
        page_theme = pn.config.theme
        is_dark = page_theme == "dark"
        # The figures follow the page, light or dark, in the Fast design's
        # colours they were drawn in with Panel's template (the widgets take
        # Panel's own design, which needs no script of its own).
        figures = figure_theme(page_theme)
        if figures is not None:
            doc.theme = figures
        doc.template = parse_template(FRAME_HTML)
        doc.template_variables.update(
            html_attrs='class="dark"' if is_dark else "",
            frame_title=self.title,
            frame_accent=ACCENT,
            frame_sidebar_px=SIDEBAR_WIDTH_PX,
            frame_font=self._font,
            frame_other_theme="default" if is_dark else "dark",
            frame_switch_label="light" if is_dark else "dark",
            frame_switch_title=(
                "Show the page light" if is_dark else "Show the page dark"
            ),
        )
        return doc
