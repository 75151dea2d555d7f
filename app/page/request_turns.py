"""A page's request in two turns of the server's loop (decision 064).

Bokeh answers a page's GET in one callback of the server's loop: it creates the
session, runs the app's script and writes the page's HTML, and no other session
draws meanwhile. Panel runs its session-created callbacks first, then Bokeh
awaits each handler of the application. Here one callback makes the page's
parts (the session, its models, its sidebar's first parts), a handler lets the
loop run what waits, and the app's script, in the next turn, puts the parts
in the document and Bokeh writes the HTML.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

import panel as pn
from bokeh.application import Application
from bokeh.application.handlers.handler import Handler
from bokeh.document import Document

logger = logging.getLogger(__name__)

_MADE: WeakKeyDictionary[Document, Any] = WeakKeyDictionary()
"""What a session's creation made for its document, until its script takes it."""


class LetOthersRun(Handler):
    """A handler of the application whose part of creating a session is to let
    the server's loop run what waits: a turn ends between the session's
    creation and its script."""

    async def on_session_created(self, session_context: Any) -> None:
        await asyncio.sleep(0)

    def modify_document(self, doc: Document) -> None:
        """Nothing: the app's own script builds the page."""


def let_others_run(application: Application) -> None:
    """Add `LetOthersRun` to `application` once."""
    if not any(isinstance(handler, LetOthersRun) for handler in application.handlers):
        application.add(LetOthersRun())


def made_at_creation(make: Callable[[], Any]) -> Callable[[Any], None]:
    """A session-created callback for ``pn.state.on_session_created`` that
    makes `make()` for the new session's document; its script takes it with
    `take_made`. The first call puts `LetOthersRun` in the application, after
    the app's script's handler: every session's creation ends a turn there.
    """

    def made(session_context: Any) -> None:
        let_others_run(session_context.server_context.application_context.application)
        document = pn.state.curdoc  # Panel's, set for its callbacks
        try:
            _MADE[document] = make()
        except Exception:  # the script makes it again, and says why there
            logger.exception("a page could not be made as its session was created")
            return
        # What was made holds its document: dropped with the session if its
        # script never took it (the script failed before).
        document.on_session_destroyed(lambda session_context: take_made(document))

    return made


def take_made(document: Document) -> Any | None:
    """What the session's creation made for `document`, once; else None."""
    return _MADE.pop(document, None)
