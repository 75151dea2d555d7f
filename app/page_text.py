"""Text from outside on the page: plain text until here, shown literally (decision 072).

Keys, units, layout fields, file names, error messages and the source's words
come from data, links and files nobody here wrote. Every place of the page that
reads HTML gets them through this module, and nowhere else:

- `text_div` makes a Bokeh ``Div`` that shows its text as text (the browser
  sets ``textContent``): any text may be assigned to it.
- `html_div` makes a ``Div`` whose text is HTML: assign it `markup` only.
- `markup` fills the code's own HTML template with texts, each escaped;
  `escaped` is one text as HTML (for Panel's HTML panes and the header).

Bokeh's canvas titles, axis labels, button labels, select options and plain
tooltips draw text as text and need nothing.
"""

from __future__ import annotations

import html
from typing import Any

from bokeh.models import Div

IN_PLACE = "text-in-place"
"""The tag of a `Div` shown in place: a change of its text, or of a style that
keeps its box (a colour), is written into the element the page shows; only a
box that changed size lays the page out again (`app.page.bokehjs_patches`,
decision 066). Tag every Div that changes while the page is open."""


def escaped(text: object) -> str:
    """`text` as HTML that shows it literally, quotes included (safe in attributes)."""
    return html.escape(str(text), quote=True)


def markup(template: str, /, **texts: object) -> str:
    """The code's own HTML `template` with each ``{name}`` filled by a text, escaped.

    Examples
    --------
    >>> markup("<b>{key}</b>", key="a<b")
    '<b>a&lt;b</b>'
    """
    return template.format_map({name: escaped(text) for name, text in texts.items()})


def text_div(text: str = "", **properties: Any) -> Div:
    """A ``Div`` that shows its text as text: markup in it is shown, never run."""
    return Div(text=text, render_as_text=True, disable_math=True, **properties)


def html_div(**properties: Any) -> Div:
    """A ``Div`` whose text is HTML: set its text to `markup` only."""
    return Div(text="", disable_math=True, **properties)
