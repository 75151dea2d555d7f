"""A held document's changes are combined by model and property (decision 105).

A session draws a frame, and builds its page, under a hold of its document
(`pn.io.hold`, Bokeh's "combine" policy): each change is combined with an
earlier change of the same property of the same model, or kept. Bokeh 3.9's
`_combine_document_events` finds that earlier change by asking every change
held so far, newest first: a frame of n changes asks some n²/2 times. A frame
of a 48-plot page held 444 changes and asked 85,621 times (a profile of the
served page).

Here a document's held list has an index of its newest change by model and
property, kept by the document's callback manager (one list a document, gone
with it), so a change finds its partner in one look; where that partner
declines (another setter, another document), Bokeh's own scan decides. Only
a model's property change (`ModelChangedEvent`) and a title change combine
in Bokeh 3.9; any other change is kept as it comes, and a title change is
left to Bokeh's scan.
"""

from __future__ import annotations

import logging
from typing import Any

import bokeh.document.callbacks as document_callbacks
from bokeh.document.events import (
    DocumentChangedEvent,
    ModelChangedEvent,
    TitleChangedEvent,
)

from app.page.as_written import as_written

logger = logging.getLogger(__name__)

_BOKEH_SCAN = """    for event in reversed(old_events):
        if event.combine(new_event):
            return

    # no combination was possible
    old_events.append(new_event)"""
"""Bokeh 3.9's `_combine_document_events`, the part replaced."""


class _Index:
    """The newest held change of each model's property in one held list."""

    def __init__(self, events: list[Any]) -> None:
        self.events = events  # kept: its id names no other list meanwhile
        self.seen = 0
        self.last: Any = None
        self.newest: dict[tuple[int, str], ModelChangedEvent] = {}
        self.catch_up()

    def follows(self) -> bool:
        """Whether the list only grew since it was indexed (Panel appends to
        a held list, and replaces it when it takes changes out)."""
        seen = self.seen
        return seen <= len(self.events) and (
            seen == 0 or self.events[seen - 1] is self.last
        )

    def catch_up(self) -> None:
        """Index what was appended since: by someone else, or by a scan."""
        for event in self.events[self.seen :]:
            self.note(event)

    def note(self, event: Any) -> None:
        """Index `event`, just appended to the list."""
        if isinstance(event, ModelChangedEvent):
            self.newest[(id(event.model), event.attr)] = event
        self.seen += 1
        self.last = event


def _index_of(new_event: Any, events: list[Any]) -> _Index | None:
    """The index of the held list `events`, kept by the document's callback
    manager whose list it is: one list a document, gone with it. None where
    the change names no document."""
    callbacks = getattr(getattr(new_event, "document", None), "callbacks", None)
    if callbacks is None:
        return None
    index = vars(callbacks).get("_held_index")
    if index is None or index.events is not events or not index.follows():
        index = callbacks._held_index = _Index(events)
    else:
        index.catch_up()  # changes appended by someone else, if any
    return index


def forget_held(document: Any) -> None:
    """Let go of `document`'s held changes and their index (it was destroyed).

    Bokeh replaces the held list when a hold ends; the index keeps the list it
    indexed, and with it the last frame's changes, their models and those
    models' callbacks: through a destroyed document that something else still
    holds (a Panel task's context), a closed page's every object (decision
    102).
    """
    callbacks = getattr(document, "callbacks", None)
    if callbacks is None:
        return
    vars(callbacks).pop("_held_index", None)
    callbacks._held_events = []


def _scan(new_event: Any, old_events: list[Any]) -> None:
    """Bokeh's own way: the newest change that combines takes it."""
    for event in reversed(old_events):
        if event.combine(new_event):
            return
    old_events.append(new_event)


def combine(new_event: Any, old_events: list[Any]) -> None:
    """Combine `new_event` with the held `old_events` as Bokeh does, in one
    look instead of a scan."""
    index = None
    if not isinstance(new_event, TitleChangedEvent):
        index = _index_of(new_event, old_events)
    if index is None:
        _scan(new_event, old_events)
        return
    if isinstance(new_event, ModelChangedEvent):
        key = (id(new_event.model), new_event.attr)
        partner = index.newest.get(key)
        if partner is not None:
            if partner.combine(new_event):
                return
            _scan(new_event, old_events)  # declined: Bokeh's scan decides
            index.catch_up()
            return
    old_events.append(new_event)
    index.note(new_event)


def _combining_classes() -> set[type]:
    """Every change class of Bokeh whose `combine` is not the base's no."""
    found, todo = set(), [DocumentChangedEvent]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.combine is not DocumentChangedEvent.combine:
            found.add(cls)
    return found


def combine_by_key() -> bool:
    """Put `combine` in place of Bokeh's `_combine_document_events`.

    Only where that function is the one written for (Bokeh 3.9, which
    pyproject pins) and no change class but those two combines; elsewhere
    it is left alone, with a warning. Returns whether it is in place.
    """
    current = document_callbacks._combine_document_events
    if current is combine:
        return True
    known = {ModelChangedEvent.combine, TitleChangedEvent.combine}
    extra = {cls for cls in _combining_classes() if cls.combine not in known}
    without = "a held change is combined by a scan of every change held"
    if extra:
        logger.warning("bokeh's change classes %s combine too: %s", extra, without)
        return False
    if not as_written(
        "bokeh", "_combine_document_events", without, (current, _BOKEH_SCAN)
    ):
        return False
    document_callbacks._combine_document_events = combine
    return True
