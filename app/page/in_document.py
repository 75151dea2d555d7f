"""Run an action as a callback of a session's Bokeh document."""

from __future__ import annotations

from collections.abc import Callable

from bokeh.document import Document
from panel.io.state import set_curdoc


def soon_in(document: Document | None, action: Callable[[], None]) -> None:
    """Run ``action`` on ``document``'s next tick, with it as Panel's current
    document; at once without a document (a session built in a test).

    Panel runs widget callbacks without the document's lock, and the plain
    Bokeh models a change touches may only change under it.
    """
    if document is None:
        action()
        return

    def run() -> None:
        with set_curdoc(document):
            action()

    document.add_next_tick_callback(run)
