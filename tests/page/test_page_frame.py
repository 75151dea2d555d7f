"""The page's frame: two named roots placed by the page's HTML (decision 106)."""

from __future__ import annotations

import re

import panel as pn
import pytest
from bokeh.document import Document
from bokeh.embed.bundle import bundle_for_objs_and_resources
from bokeh.embed.elements import html_page_for_render_items
from bokeh.embed.util import RenderItem
from bokeh.models import Div
from bokeh.resources import CDN

from app.page.page_frame import PageFrame


def page_html(document: Document) -> str:
    """The page Bokeh writes for `document`, as the server does (no JSON)."""
    return html_page_for_render_items(
        bundle_for_objs_and_resources(None, CDN),
        {},
        [RenderItem(token="token", roots=document.roots)],
        document.title,
        template=document.template,
        template_variables={**document.template_variables, "theme_name": "default"},
    )


def framed(title: str = "DREAM") -> tuple[PageFrame, Document]:
    frame = PageFrame(
        title, pn.Column(pn.pane.Markdown("side")), pn.Column("main"), "sans-serif"
    )
    document = Document()
    frame.server_doc(document)
    return frame, document


def test_the_sidebar_and_the_main_area_are_placed_where_the_frame_says() -> None:
    _, document = framed()
    names = {root.name: root for root in document.roots}
    assert {"sidebar", "main"} <= set(names)
    html = page_html(document)
    for name in ("sidebar", "main"):
        tag = "aside" if name == "sidebar" else "main"
        placed = re.search(
            rf'<{tag} id="{name}"><div id="[^"]+" data-root-id="([^"]+)"', html
        )
        assert placed, html
        assert placed.group(1) == names[name].id
    assert '<h1 id="page-title">DREAM</h1>' in html


def test_roots_of_panels_own_are_placed_too() -> None:
    # BokehJS matches roots to their places by order: a root without one
    # would leave the page unrendered.
    _, document = framed()
    document.add_root(Div(name="browser_info"))  # as Panel adds, served
    html = page_html(document)
    for root in document.roots:
        assert f'data-root-id="{root.id}"' in html, root


def test_the_title_is_written_as_given_html_escaped_by_the_caller() -> None:
    _, document = framed("a &lt;b&gt; title")
    assert '<h1 id="page-title">a &lt;b&gt; title</h1>' in page_html(document)


@pytest.mark.parametrize(("theme", "switch"), [("default", "dark"), ("dark", "light")])
def test_the_switch_offers_the_other_theme(theme: str, switch: str) -> None:
    with pn.config.set(theme=theme):
        _, document = framed()
    html = page_html(document)
    other = "default" if theme == "dark" else "dark"
    assert f'data-theme="{other}">{switch}</button>' in html
    assert ('<html lang="en" class="dark">' in html) == (theme == "dark")
    assert document.theme is not None  # the figures follow the page
