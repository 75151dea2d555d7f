"""A served page's models, which Bokeh need not walk whole for each change.

Bokeh keeps the set of a document's models by walking every model reachable
from its roots whenever a reference between models changes (at the end of a
freeze). A page grows by a few plot cards at a time, and a walk of a page of
100 plots visits about 5,000 models, time in which no session of the server
draws. While a page grows, this walks only what changed: the models newly
reachable from the properties that changed (decision 068).

Bokeh also lists every model of a document, and makes each a reference, for
every message it sends the browser (a frame's): the list is kept here from one
message to the next while the page's models stay the same (decision 049). For
every message it receives (a frame's acknowledgement) it maps every model by
id anew, a map the document keeps already: that map is copied instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from bokeh.core.serialization import Deserializer, Serializer
from bokeh.document import Document
from bokeh.document.events import (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    DocumentChangedEvent,
    MessageSentEvent,
    ModelChangedEvent,
    RootAddedEvent,
    SessionCallbackAdded,
    SessionCallbackRemoved,
    TitleChangedEvent,
)
from bokeh.document.models import DocumentModelManager
from bokeh.model import Model
from bokeh.model.util import collect_filtered_models

from app.page.as_written import as_written
from app.page.held_events import combine_by_key, forget_held
from app.page.sent_values import skip_unsent_defaults
from app.page.teardown import TEARDOWN

_NO_NEW_REFERENCES = (
    ColumnDataChangedEvent,
    ColumnsPatchedEvent,
    ColumnsStreamedEvent,
    MessageSentEvent,
    SessionCallbackAdded,
    SessionCallbackRemoved,
    TitleChangedEvent,
)
"""Changes that add no model to a document: data, messages, callbacks, title."""


class SyncedModels(frozenset):
    """The models a browser has been sent, each with its reference by object id.

    What Bokeh's `Serializer` builds from a document's models for every
    message, built once while they stay the same.
    """

    refs: dict[int, Any]

    @classmethod
    def of(cls, models: Iterable[Model]) -> SyncedModels:
        synced = cls(models)
        synced.refs = {id(model): model.ref for model in synced}
        return synced


class PageModels(DocumentModelManager):
    """A document's models, which a growing page adds without a whole walk.

    Outside `growing`, exactly Bokeh's: every change of references walks the
    whole document once unfrozen.
    """

    def __init__(self, document: Document) -> None:
        super().__init__(document)
        # Changes seen while growing; None: not growing.
        self._changes: list[DocumentChangedEvent] | None = None
        # Whether a change could not be followed (a root removed, a failed
        # growth): its end walks the whole document.
        self._lost_track = False
        # The synced models of the last message, and what they were found from.
        self._synced: tuple[dict, int, frozenset, SyncedModels] | None = None

    @classmethod
    def of(cls, document: Document) -> PageModels:
        """The models of `document`, as a `PageModels` (installed once)."""
        models = document.models
        if not isinstance(models, cls):
            reuse_references()
            reuse_model_ids()
            skip_unsent_defaults()
            combine_by_key()
            adopted = cls(document)
            # Bokeh's bookkeeping carries over as it is: models, names, what
            # the browser has not been sent yet, any freeze in progress.
            adopted.__dict__.update(vars(models))
            document.models = adopted
            models = adopted
        return models

    @property
    def synced_references(self) -> SyncedModels:
        """The models the browser has: Bokeh's, found anew only after a change.

        The document's models change by a new mapping (a whole walk) or by
        models added to it (a growth); those not yet sent are a small set,
        usually empty.
        """
        models, unsent = self._models, frozenset(self._new_models)
        kept = self._synced
        if (
            kept is not None
            and kept[0] is models
            and kept[1:3] == (len(models), unsent)
        ):
            return kept[3]
        synced = SyncedModels.of(m for m in models.values() if m not in unsent)
        self._synced = (models, len(models), unsent, synced)
        return synced

    def recompute(self) -> None:
        """Find the document's models: what changed while growing, else all."""
        changes, self._changes = self._changes, None
        if changes is None or self._lost_track:
            super().recompute()
            return
        document = self._document()
        if document is None:
            return
        starts: list[Any] = []
        for event in changes:
            if isinstance(event, ModelChangedEvent):
                # The value now, not the event's: a later change in the same
                # growth may have replaced it without an event of its own.
                starts.append(getattr(event.model, event.attr))
            elif isinstance(event, RootAddedEvent):
                starts.append(event.model)
        known = self._models
        for model in collect_filtered_models(lambda m: m.id in known, *starts):
            known[model.id] = model
            if model.name is not None:
                self._models_by_name.add_value(model.name, model)
            model._attach_document(document)
            self._new_models.add(model)

    def destroy(self) -> None:
        """Let go of the models, Bokeh's lists, this manager's own and the
        document's held changes; the models are taken apart in later turns.

        A destroyed document outlives its session where something else holds
        it (a Panel task's context, Bokeh's default document): what it keeps
        must not hold a closed page's models (decision 102). What Bokeh's
        destroy leaves of the models is cleared a slice a turn (decision 108).
        """
        document = self._document()
        if document is not None:
            forget_held(document)
        models = list(self._models.values())
        super().destroy()
        self._synced = None
        self._changes = None
        self._new_models.clear()
        TEARDOWN.add(models)  # what Bokeh's destroy leaves (decision 108)

    @contextmanager
    def growing(self) -> Iterator[None]:
        """Freeze the document's models; at the end, add those newly reachable
        from what changed instead of walking the whole document.

        Changes are seen as they happen, held or not: a hold may release them
        later, or drop them before the browser connected (Panel's).

        A model taken out meanwhile stays among the document's models until
        the next whole walk (any later change of references outside a growth).
        """
        document = self._document()
        if document is None or self._changes is not None:
            yield  # nested: the outer growth follows the changes
            return
        self._changes = []
        self._lost_track = False
        callbacks = document.callbacks
        trigger = callbacks.trigger_on_change

        def noted(event: DocumentChangedEvent) -> None:
            self._note(event)
            trigger(event)

        # Every change of the document passes here, whether held or not.
        callbacks.trigger_on_change = noted  # type: ignore[method-assign]
        self._push_freeze()
        try:
            yield
        except BaseException:
            self._lost_track = True
            raise
        finally:
            if vars(callbacks).get("trigger_on_change") is noted:
                del callbacks.trigger_on_change  # the manager's own again
            self._pop_freeze()  # the last freeze to end recomputes
            self._changes = None

    def _note(self, event: DocumentChangedEvent) -> None:
        if self._changes is None:
            return
        if isinstance(event, ModelChangedEvent | RootAddedEvent):
            self._changes.append(event)
        elif not isinstance(event, _NO_NEW_REFERENCES):
            self._lost_track = True  # a root removed, or a change unknown


@contextmanager
def growing(document: Document | None) -> Iterator[None]:
    """While the page of `document` grows, Bokeh walks only what changed.

    Without a document, nothing is done.
    """
    if document is None:
        yield
        return
    with PageModels.of(document).growing():
        yield


_BOKEH_REFERENCES = "self._references = {id(obj): obj.ref for obj in references}"
"""What Bokeh's `Serializer.__init__` does with the models it is given (3.9)."""


def reuse_references() -> bool:
    """Let Bokeh's `Serializer` take the references of `SyncedModels` as made.

    Only where `Serializer.__init__` is the one this was written for (Bokeh
    3.9, which pyproject pins); elsewhere it is left alone, with a warning,
    and every message lists the page's models again. Returns whether it is
    in place.
    """
    init = Serializer.__init__
    if getattr(init, "reuses_references", False):
        return True
    if not as_written(
        "bokeh",
        "Serializer",
        "every message to a browser lists its page's models again",
        (init, _BOKEH_REFERENCES),
    ):
        return False

    def taking_refs(self: Serializer, *, references: Any = frozenset(), **options: Any):
        refs = getattr(references, "refs", None)
        if refs is None:
            init(self, references=references, **options)
            return
        init(self, references=(), **options)
        # A copy: the message adds the references of the models it sends.
        self._references = dict(refs)

    taking_refs.reuses_references = True  # type: ignore[attr-defined]
    Serializer.__init__ = taking_refs  # type: ignore[method-assign]
    return True


_BOKEH_PATCH_MODELS = "deserializer = Deserializer(list(self.models), setter=setter)"
"""How Bokeh's `Document.apply_json_patch` makes its `Deserializer` (3.9)."""
_BOKEH_IDS = "self._references = {obj.id: obj for obj in references or []}"
"""What Bokeh's `Deserializer.__init__` does with the models it is given (3.9)."""

_applying = threading.local()
"""The id map of the document whose patch this thread applies, if any."""


def reuse_model_ids() -> bool:
    """Let Bokeh's `Deserializer` copy a document's map of models by id.

    Applying a browser's message (every frame's acknowledgement), Bokeh lists
    the document's models and maps them by id, in Python, model by model: the
    document's model manager holds that very map. Only where both functions
    are the ones written for (Bokeh 3.9, which pyproject pins); elsewhere they
    are left alone, with a warning. Returns whether it is in place.
    """
    apply = Document.apply_json_patch
    if getattr(apply, "reuses_model_ids", False):
        return True
    init = Deserializer.__init__
    if not as_written(
        "bokeh",
        "Document.apply_json_patch",
        "every message from a browser maps its page's models anew",
        (apply, _BOKEH_PATCH_MODELS),
        (init, _BOKEH_IDS),
    ):
        return False

    def applying(self: Document, patch_json: Any, *, setter: Any = None) -> None:
        outer = getattr(_applying, "ids", None)
        _applying.ids = self.models._models
        try:
            apply(self, patch_json, setter=setter)
        finally:
            _applying.ids = outer

    def taking_ids(self: Deserializer, references: Any = None, **options: Any):
        ids = getattr(_applying, "ids", None)
        if (
            ids is None
            or not isinstance(references, list)
            or len(references) != len(ids)
        ):
            init(self, references, **options)
            return
        _applying.ids = None  # the patch's own deserializer only
        init(self, None, **options)
        # A copy: the message may add models the browser made.
        self._references = dict(ids)

    applying.reuses_model_ids = True  # type: ignore[attr-defined]
    Deserializer.__init__ = taking_ids  # type: ignore[method-assign]
    Document.apply_json_patch = applying  # type: ignore[method-assign]
    return True
