"""A held document's changes are combined by model and property (105)."""

from __future__ import annotations

import gc
import weakref

import bokeh.document.callbacks as document_callbacks
import pytest
from bokeh.document import Document
from bokeh.document.events import (
    MessageSentEvent,
    ModelChangedEvent,
    TitleChangedEvent,
)
from bokeh.models import Div
from hypothesis import given, settings
from hypothesis import strategies as st

from app.page.held_events import _scan, combine, combine_by_key

DOCUMENTS = (Document(), Document())
MODELS = (Div(), Div(), Div())
SETTERS = (None, "browser")

change = st.tuples(
    st.sampled_from(["model", "model", "model", "title", "message"]),
    st.integers(0, len(DOCUMENTS) - 1),
    st.integers(0, len(MODELS) - 1),
    st.sampled_from(["text", "visible"]),
    st.integers(0, 9),
    st.integers(0, len(SETTERS) - 1),
)
step = st.one_of(
    st.tuples(st.just("change"), change),
    # What Panel does to a held list: take changes out (a new list) or add
    # changes to it in place.
    st.tuples(st.just("take out"), st.integers(0, 3)),
    st.tuples(st.just("take out in place"), st.integers(0, 3)),
    st.tuples(st.just("add"), change),
)


def event(spec: tuple) -> object:
    kind, document, model, attr, value, setter = spec
    if kind == "model":
        return ModelChangedEvent(
            DOCUMENTS[document], MODELS[model], attr, value, setter=SETTERS[setter]
        )
    if kind == "title":
        return TitleChangedEvent(DOCUMENTS[document], f"t{value}", SETTERS[setter])
    return MessageSentEvent(DOCUMENTS[document], "x", value)


def seen(events: list) -> list[tuple]:
    """What the browser would be sent, change by change."""
    return [
        (
            type(e).__name__,
            id(getattr(e, "model", None)),
            getattr(e, "attr", None),
            getattr(e, "new", getattr(e, "title", getattr(e, "msg_data", None))),
            e.setter,
            id(e.document),
        )
        for e in events
    ]


def run(steps: list, combine_one) -> list[tuple]:
    held: list = []
    for what, arg in steps:
        if what == "change":
            combine_one(event(arg), held)
        elif what == "take out":
            held = [e for i, e in enumerate(held) if i % 4 != arg]
        elif what == "take out in place":
            held[:] = [e for i, e in enumerate(held) if i % 4 != arg]
        else:
            held += [event(arg)]
    return seen(held)


@settings(max_examples=300, deadline=None)
@given(st.lists(step, max_size=60))
def test_changes_are_combined_as_bokehs_scan_combines_them(steps: list) -> None:
    assert run(steps, combine) == run(steps, _scan)


def test_a_change_combines_with_the_newest_of_its_property_in_one_look(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document, (a, b) = DOCUMENTS[0], MODELS[:2]
    looks = []
    bokehs = ModelChangedEvent.combine

    def counted(self: ModelChangedEvent, new: object) -> bool:
        looks.append(self)
        return bokehs(self, new)

    monkeypatch.setattr(ModelChangedEvent, "combine", counted)
    held: list = []
    for i in range(200):
        combine(ModelChangedEvent(document, a if i % 2 else b, "text", i), held)
        combine(ModelChangedEvent(document, MODELS[2], f"p{i}", i), held)
    assert len(held) == 202
    assert (held[0].new, held[2].new) == (198, 199)  # b, then a
    assert len(looks) == 198  # one each; Bokeh's scan: some 20,000


def test_it_is_bokehs_where_bokeh_is_the_one_written_for() -> None:
    assert combine_by_key()
    assert document_callbacks._combine_document_events is combine


def test_what_a_document_held_goes_with_it() -> None:
    # The index is the document's: nothing of a closed page is kept by it.
    assert combine_by_key()
    document = Document()
    div = Div()
    document.add_root(div)
    document.hold("combine")
    div.text = "a"
    div.text = "b"
    assert len(document.callbacks._held_events) == 1
    document.unhold()
    gone = weakref.ref(div)
    del document, div
    gc.collect()
    assert gone() is None
