"""A new model is sent with its values, without making its defaults (104)."""

from __future__ import annotations

import json
import re

import holoviews as hv
import numpy as np
import panel as pn
import pytest
from bokeh.core.has_props import HasProps
from bokeh.core.property.descriptors import UnsetValueError
from bokeh.core.serialization import Serializer
from bokeh.document import Document
from bokeh.models import Div, ImportedStyleSheet

from app.page.sent_values import skip_unsent_defaults, skippable_defaults

hv.extension("bokeh")


def page() -> Document:
    """A page of the kinds a served page holds: widgets, Panel's layouts, an
    image and a curve drawn by HoloViews."""
    document = Document()
    plots = pn.pane.HoloViews(hv.Image(np.eye(3)) + hv.Curve([1.0, 2.0, 3.0]))
    root = pn.Column(pn.widgets.Select(options=["a", "b"]), plots)
    document.add_root(root.get_root(document))
    return document


def sent(document: Document) -> str:
    """The document as a browser would get it, made comparable with another
    made alike: ids, Panel's numbered names and addresses renamed in order."""
    text = json.dumps(document.to_json(), sort_keys=True, default=str)
    text = re.sub(r"at 0x[0-9a-f]+", "at", text)
    names: dict[str, str] = {}
    return re.sub(
        r"\bp\d{3,}\b|\b[A-Z][A-Za-z]+\d{5}\b",
        lambda found: names.setdefault(found[0], f"name{len(names)}"),
        text,
    )


def kept_defaults(document: Document) -> list[tuple[str, ...]]:
    """What each model keeps of its unstable defaults, in the page's order."""
    models = sorted(document.models, key=lambda model: int(model.id[1:]))
    return [tuple(sorted(model._unstable_default_values)) for model in models]


@pytest.fixture
def bokehs(monkeypatch: pytest.MonkeyPatch):
    """Switch the document's serializing to Bokeh's own for the block."""
    assert skip_unsent_defaults()
    ours = HasProps.query_properties_with_values

    def use(own: bool) -> None:
        monkeypatch.setattr(
            HasProps, "query_properties_with_values", ours.bokehs if own else ours
        )

    return use


def test_a_new_page_is_sent_as_bokeh_sends_it_and_left_as_bokeh_leaves_it(
    bokehs,
) -> None:
    bokehs(True)
    theirs = page()
    theirs_sent = sent(theirs)
    bokehs(False)
    ours = page()
    assert sent(ours) == theirs_sent
    assert kept_defaults(ours) == kept_defaults(theirs)
    # Sent again, after the models kept what a first sending keeps.
    assert sent(ours) == sent(theirs)


def test_most_properties_of_a_plots_models_are_skipped_defaults() -> None:
    # The point of it: a figure's models leave most properties at default.
    document = page()
    unsent = sum(
        len(skippable_defaults(type(model)) - set(model._property_values))
        for model in document.models
    )
    properties = sum(len(type(model).properties()) for model in document.models)
    assert unsent > properties / 2


def test_a_required_value_left_unset_fails_as_in_bokeh(bokehs) -> None:
    for own in (True, False):
        bokehs(own)
        with pytest.raises(UnsetValueError, match="url"):
            Serializer().encode(ImportedStyleSheet())


def test_a_property_left_at_default_but_themed_is_sent_themed() -> None:
    assert skip_unsent_defaults()
    div = Div()
    assert "text" not in div.properties_with_values(include_defaults=False)
    div.apply_theme({"text": "themed"})
    assert div.properties_with_values(include_defaults=False)["text"] == "themed"
