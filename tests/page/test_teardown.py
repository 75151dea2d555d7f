"""A destroyed page's Bokeh models are taken apart, a slice a turn (108)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator

import pytest
from bokeh.document import Document
from bokeh.models import Column, Div, Row

from app.page import growing, teardown
from app.page.growing import PageModels
from app.page.teardown import Teardown, take_apart


@pytest.fixture
def no_collection() -> Iterator[None]:
    """What is freed here is freed by its last reference going."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def page() -> tuple[Document, Div]:
    document = Document()
    label = Div(text="t", css_classes=["a"])
    document.add_root(Column(children=[Row(children=[label]), Div()]))
    return document, label


def destroyed(document: Document) -> None:
    """As Panel destroys a served session's document: its callbacks and
    models, the collection left to a later task (Bokeh's own destroy runs
    one at once)."""
    document.callbacks.destroy()
    document.models.destroy()


def test_bokehs_destroy_leaves_models_to_a_full_collection(no_collection) -> None:
    # What the teardown is for: without it, a destroyed page's models wait
    # for a full pass (the sweep's, decision 102).
    document, label = page()
    label.on_change("text", lambda attr, old, new: None)
    gone = weakref.ref(label)
    destroyed(document)
    del document, label
    assert gone() is not None
    gc.collect()
    assert gone() is None


def test_a_model_taken_apart_is_freed_with_its_last_reference(no_collection) -> None:
    document, label = page()
    label.on_change("text", lambda attr, old, new: None)
    gone = weakref.ref(label)
    models = list(document.models)
    destroyed(document)  # a plain Bokeh document: its models left as they are
    for model in models:
        take_apart(model)
    del document, label, models, model
    assert gone() is None


def test_a_destroyed_page_has_its_models_taken_apart(
    no_collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process's teardown runs on the loop that destroyed the document;
    # here the test turns it (a test process may hold another running loop,
    # Playwright's).
    turns: list[Callable[[], None]] = []
    monkeypatch.setattr(growing, "TEARDOWN", Teardown(schedule=turns.append))
    document, label = page()
    PageModels.of(document)
    gone = weakref.ref(label)
    del label
    destroyed(document)
    del document
    assert gone() is not None  # not yet: in later turns
    while turns:
        turns.pop(0)()
    assert gone() is None


def test_models_are_taken_apart_in_slices_of_the_loop(monkeypatch) -> None:
    turns: list[Callable[[], None]] = []
    parts = Teardown(schedule=turns.append)
    models = [Div(text=str(i), css_classes=["c"]) for i in range(5)]
    monkeypatch.setattr(teardown, "SLICE_S", 0.0)  # one model a turn
    parts.add(models)
    assert (parts.waiting, len(turns)) == (5, 1)
    parts.add([Div()])  # one turn is due already
    assert len(turns) == 1
    taken = []
    while turns:
        turns.pop(0)()
        taken.append(parts.taken_apart)
    assert taken == [1, 2, 3, 4, 5, 6]
    assert all(model._property_values == {} for model in models)
    assert parts.waiting == 0
