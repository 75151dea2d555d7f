import gc
import json
import re
import weakref
from collections.abc import Callable

import pytest
from bokeh.core.serialization import Serializer
from bokeh.document import Document
from bokeh.model import Model
from bokeh.models import Button, Column, Div, Row
from bokeh.protocol import Protocol

from app.page.growing import PageModels, growing, reuse_model_ids, reuse_references
from app.page.held_events import combine_by_key


def page(cards: int) -> tuple[Document, Column]:
    document = Document()
    row = Row(children=[card(i) for i in range(cards)])
    document.add_root(Column(children=[Div(text="header"), row]))
    return document, row


def card(index: int) -> Column:
    return Column(
        children=[Row(children=[Button(label="x"), Div(text=f"{index}")])],
        name=f"card-{index}",
    )


def destroyed(document: Document) -> None:
    """Destroy `document` as its closed session's server does."""

    def session(event: object) -> None:  # stands for the closed session
        pass

    document.on_change(session)
    document.destroy(session)


def reachable(document: Document) -> set[str]:
    return {model.id for root in document.roots for model in root.references()}


def test_cards_added_while_growing_are_found_without_a_walk_of_the_whole_page(
    whole_walks: list[int],
) -> None:
    document, row = page(20)
    whole_walks.clear()
    with growing(document), document.models.freeze():
        row.children.append(card(20))
        row.children.insert(0, card(21))
    assert whole_walks == []
    assert {model.id for model in document.models} == reachable(document)
    new = document.get_model_by_name("card-21")
    assert new is row.children[0]
    assert new.document is document
    # Not sent yet: the browser gets them in full with the change.
    assert new not in document.models.synced_references


def test_outside_a_growth_every_change_of_references_walks_the_whole_page(
    whole_walks: list[int],
) -> None:
    document, row = page(3)
    whole_walks.clear()
    row.children.append(card(3))
    assert len(whole_walks) == 1
    assert isinstance(PageModels.of(document), PageModels)
    row.children.append(card(4))
    assert len(whole_walks) == 2
    assert {model.id for model in document.models} == reachable(document)


def test_a_growth_that_removes_a_root_or_fails_walks_the_whole_page(
    whole_walks: list[int],
) -> None:
    document, row = page(3)
    extra = Column(children=[card(9)])
    document.add_root(extra)
    whole_walks.clear()
    with growing(document):
        document.remove_root(extra)
    assert len(whole_walks) == 1
    assert {model.id for model in document.models} == reachable(document)
    with pytest.raises(RuntimeError, match="a slice failed"):
        fail_while_growing(document, row)
    assert len(whole_walks) == 2
    assert {model.id for model in document.models} == reachable(document)


def test_changes_held_while_the_page_grows_are_followed_too(
    whole_walks: list[int],
) -> None:
    document, row = page(3)
    whole_walks.clear()
    document.hold("combine")
    with growing(document):
        row.children.append(card(3))
        row.children.append(card(4))
    # Released after the growth (or dropped, as Panel does before the browser
    # connects): seen anyway.
    document.unhold()
    assert whole_walks == []
    assert {model.id for model in document.models} == reachable(document)


def test_a_card_added_in_a_held_growth_goes_out_in_full_once() -> None:
    document, row = page(3)
    messages: list[str] = []

    def sent(event: object) -> None:
        message = Protocol().create("PATCH-DOC", [event])
        messages.append(json.dumps(message.content))

    document.on_change(sent)
    for index in (3, 4):
        document.hold("combine")
        with growing(document):
            row.children.append(card(index))
        document.unhold()  # the slice's message goes out
    first, second = messages
    assert "card-3" in first
    # The next slice's message names the first card by its id only.
    assert "card-4" in second
    assert "card-3" not in second


def fail_while_growing(document: Document, row: Row) -> None:
    with growing(document):
        row.children.append(card(5))
        raise RuntimeError("a slice failed")


def test_without_a_document_growing_does_nothing() -> None:
    with growing(None):
        pass


def patch_messages(document: Document, changes: list) -> list[str]:
    """The PATCH-DOC messages of `changes`, one each, as the browser gets them."""
    messages: list[str] = []

    def sent(event: object) -> None:
        message = Protocol().create("PATCH-DOC", [event])
        messages.append(json.dumps(message.content, sort_keys=True))

    document.on_change(sent)
    for change in changes:
        change()
    document.remove_on_change(sent)
    return messages


def numbered(messages: list[str]) -> list[str]:
    ids: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return ids.setdefault(match.group(0), f"#{len(ids)}")

    return [re.sub(r'"p\d+"', number, message) for message in messages]


def frames_and_new_cards(document: Document, row: Row) -> list:
    """Texts changed, a card added outside and inside a growth, texts again."""
    header = document.roots[0].children[0]

    def grow(index: int) -> None:
        with growing(document):
            row.children.append(card(index))

    return [
        lambda: setattr(header, "text", "frame 1"),
        lambda: row.children.append(card(3)),
        lambda: setattr(header, "text", "frame 2"),
        lambda: grow(4),
        lambda: setattr(row.children[4].children[0].children[1], "text", "new"),
        lambda: setattr(header, "text", "frame 3"),
    ]


def test_a_page_sends_the_messages_bokeh_sends_while_its_model_list_is_kept() -> None:
    plain, plain_row = page(3)
    kept, kept_row = page(3)
    PageModels.of(kept)
    with growing(kept):
        pass  # the page's models are a PageModels, as a served page's are
    expected = patch_messages(plain, frames_and_new_cards(plain, plain_row))
    got = patch_messages(kept, frames_and_new_cards(kept, kept_row))
    # Ids differ between the documents: numbered by their first appearance.
    assert numbered(got) == numbered(expected)
    # A new card goes out in full once, then by its id only.
    assert "card-3" in got[1]
    assert "card-3" not in got[2]
    assert "card-4" in got[3]
    assert "card-4" not in got[4]


def test_the_model_list_is_made_once_while_the_page_keeps_its_models() -> None:
    document, row = page(3)
    models = PageModels.of(document)
    first = models.synced_references
    assert models.synced_references is first
    assert first.refs == {id(model): model.ref for model in first}
    row.children.append(card(3))  # a whole walk: models found anew
    again = models.synced_references
    assert again is not first
    # The new card is not among what the browser has until a message sent it.
    assert "card-3" not in {model.name for model in again}
    assert len(again) == len(first)


def test_bokehs_serializer_takes_a_pages_references_as_made() -> None:
    # Fails, not warns, when a Bokeh upgrade changed the Serializer: the
    # pinned minor is the one the reuse was written for.
    assert reuse_references()
    document, _ = page(2)
    synced = PageModels.of(document).synced_references
    serializer = Serializer(references=synced)
    assert serializer._references == synced.refs
    assert serializer._references is not synced.refs  # its own, to add to


def browser_copy(document: Document) -> Document:
    """The document as a browser holds it: the same models by id."""
    return Document.from_json(document.to_json())


def patch_from(copy: Document, change: Callable[[], None]) -> dict:
    """The PATCH-DOC content a browser sends for `change` of its copy."""
    events: list = []
    copy.on_change(events.append)
    change()
    copy.remove_on_change(events.append)
    return Protocol().create("PATCH-DOC", events).content


def test_a_browsers_message_is_applied_without_mapping_every_model_by_id_anew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Fails, not warns, when a Bokeh upgrade changed either function.
    assert reuse_model_ids()
    document, _ = page(300)
    PageModels.of(document)
    copy = browser_copy(document)
    header = copy.roots[0].children[0]
    patch = patch_from(copy, lambda: setattr(header, "text", "acknowledged"))
    reads = [0]
    model_id = Model.id

    def counted(model: Model) -> str:
        reads[0] += 1
        return model_id.fget(model)

    monkeypatch.setattr(Model, "id", property(counted))
    models = dict(document.models._models)
    document.apply_json_patch(patch)
    monkeypatch.undo()
    assert document.roots[0].children[0].text == "acknowledged"
    # Bokeh's own way reads each of the page's 1,000 models' ids.
    assert len(models) > 1000
    assert reads[0] < 50
    assert document.models._models == models  # the document's map untouched


# Bokeh warns of the new card's models named twice in the patch, with or
# without the reuse.
@pytest.mark.filterwarnings("ignore:reference already known")
def test_a_model_the_browser_made_joins_a_patch_and_the_page_keeps_its_map() -> None:
    assert reuse_model_ids()
    document, row = page(2)
    PageModels.of(document)
    copy = browser_copy(document)
    copied_row = copy.roots[0].children[1]
    patch = patch_from(copy, lambda: copied_row.children.append(card(7)))
    document.apply_json_patch(patch)
    assert row.children[-1].name == "card-7"
    assert {model.id for model in document.models} == reachable(document)


def test_a_destroyed_page_holds_none_of_its_models() -> None:
    # Something may keep a closed session's document (a Panel task's context
    # holds the page that started it): its models must go all the same.
    document, row = page(3)
    with growing(document):
        row.children.append(card(3))
    document.models.flush_synced()  # as a message sent them
    assert len(document.models.synced_references) == len(document.models)
    gone = weakref.ref(document.get_model_by_name("card-3"))
    del row

    destroyed(document)
    gc.collect()
    assert gone() is None


def test_a_destroyed_page_keeps_none_of_its_last_held_changes() -> None:
    # A frame's changes are combined through an index of the held list
    # (decision 105); the hold's end leaves that list to the index. Through a
    # destroyed document that something still holds, the last frame's
    # changes would keep their models, and those models' callbacks the page.
    assert combine_by_key()
    document, row = page(3)
    PageModels.of(document)
    label = document.get_model_by_name("card-2").children[0].children[1]
    document.hold("combine")
    label.text = "a"
    label.text = "b"
    document.unhold()
    gone = weakref.ref(label)
    del row, label

    destroyed(document)
    gc.collect()
    assert gone() is None
