"""Tests of app/page_text.py: text from outside is shown literally in every sink.

Each sink is fed the same injection vectors: as keys in the data, as the dims
of a spectrum, as the source's words, in a layout link, in a layout file and
its name, in a custom view's name and in the page's title. Every text the
browser reads as HTML is then parsed: it may hold the code's own few tags and
nothing else, and the vectors must read back as the text they were.
"""

from __future__ import annotations

import ast
import base64
import html
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import holoviews as hv
import numpy as np
import pytest
import scipp as sc
from bokeh.models import AbstractButton, Div, Model
from panel.models.markup import HTML as PANEL_HTML

from app.ingestion.process import Ingestion
from app.options import DashboardOptions
from app.page import shell
from app.page.custom_views import register_view, unregister_view
from app.page.layout_file import Layout
from app.page.session import DashboardSession
from app.page_text import escaped, html_div, markup, text_div
from app.plot_spec import PlotSpec
from app.sources import Message, SourceStatus

PWNED = "window.__pwned=1"
VECTORS = (
    f'<img src=x onerror="{PWNED}">',
    f"<script>{PWNED}</script>",
    f'"><svg onload="{PWNED}">',
    "a&b 'single' \"double\" &amp; <i>",
    f"javascript:{PWNED}",
)
T0_NS = 1_790_000_000_000_000_000
APP = Path(__file__).parent.parent / "app"


@pytest.mark.parametrize("text", VECTORS)
def test_escaped_text_holds_no_markup_and_reads_back_as_it_was(text: str) -> None:
    html_text = escaped(text)
    assert not set("<>\"'") & set(html_text)
    assert html.unescape(html_text) == text


@pytest.mark.parametrize("text", VECTORS)
def test_markup_escapes_the_texts_and_keeps_the_template(text: str) -> None:
    made = markup('<span title="{text}"><b>{text}</b></span>', text=text)
    parsed = parse(made)
    assert parsed.tags == [("span", [("title", text)]), ("b", [])]
    assert parsed.text == text


def test_a_text_div_shows_its_text_as_text_and_an_html_div_holds_no_math() -> None:
    plain = text_div(VECTORS[0], name="plain")
    assert plain.render_as_text
    assert plain.text == VECTORS[0]
    assert html_div(name="markup").disable_math


def test_every_div_of_the_app_is_made_in_page_text() -> None:
    """One place: a Div made elsewhere could read an outside text as HTML."""
    made_elsewhere = []
    for path in APP.rglob("*.py"):
        if path.name == "page_text.py" or "testing" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in ("Div", "Markdown", "HTML") and not is_literal(node):
                    made_elsewhere.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert made_elsewhere == []


def test_no_html_is_built_by_hand_outside_page_text() -> None:
    """A pane's or Div's text is never an f-string or sum: `markup` builds HTML."""
    by_hand = []
    for path in APP.rglob("*.py"):
        if path.name == "page_text.py" or "testing" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and isinstance(
                node.value, ast.JoinedStr | ast.BinOp
            ):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == "object":
                        by_hand.append(f"{path.relative_to(APP)}:{node.lineno}")
    assert by_hand == []


def is_literal(call: ast.Call) -> bool:
    """A pane of the code's own words (``"### Layout"``) or of escaped text."""
    if not call.args:
        return False
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return True
    return isinstance(first, ast.Call) and getattr(first.func, "id", "") in (
        "escaped",
        "markup",
    )


# The page with every sink fed -------------------------------------------------


class Parsed(HTMLParser):
    """The tags and the text a browser would make of an HTML text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text += data


def parse(text: str) -> Parsed:
    parsed = Parsed()
    parsed.feed(text)
    parsed.close()
    return parsed


CODE_TAGS = {"div", "span", "b", "h3", "a"}
"""The only tags the code itself writes into the page's HTML texts."""


def html_sinks(models: set[Model]) -> list[tuple[str, Parsed]]:
    """Every text of `models` that the browser reads as HTML, parsed."""
    sinks = []
    for model in models:
        if isinstance(model, PANEL_HTML):
            # Panel sends a pane's HTML escaped once more; the page unescapes it.
            sinks.append((model.name or "pane", parse(html.unescape(model.text))))
        elif isinstance(model, Div) and not model.render_as_text:
            sinks.append((model.name or "div", parse(model.text)))
    return sinks


def assert_no_injected_markup(models: set[Model]) -> list[Parsed]:
    sinks = html_sinks(models)
    for name, parsed in sinks:
        for tag, attrs in parsed.tags:
            assert tag in CODE_TAGS, (name, tag)
            for attribute, value in attrs:
                assert not attribute.startswith("on"), (name, attribute)
                assert not (value or "").lower().startswith("javascript:"), name
    return [parsed for _, parsed in sinks]


class TalkingSource:
    """A source that is down and says so in the words of the vectors."""

    def __init__(self, messages: list[Message]) -> None:
        self._messages = messages

    def get_messages(self) -> list[Message]:
        messages, self._messages = self._messages, []
        return messages

    def close(self) -> None:
        pass

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(connected=False, description=" ".join(VECTORS))


def scalar(value: float) -> sc.DataArray:
    return sc.DataArray(
        sc.scalar(value, unit="K"), coords={"time": sc.datetime(T0_NS, unit="ns")}
    )


def spectrum(dim: str) -> sc.DataArray:
    return sc.DataArray(
        sc.array(dims=[dim], values=[1.0, 2.0], unit="counts"),
        coords={"time": sc.datetime(T0_NS, unit="ns")},
    )


def image() -> sc.DataArray:
    return sc.DataArray(
        sc.ones(dims=["y", "x"], shape=[2, 3], unit="counts"),
        coords={"time": sc.datetime(T0_NS, unit="ns")},
    )


KEYS = (*VECTORS, *(f"log/{vector}" for vector in VECTORS))
IMAGE_KEY = f"detector/{VECTORS[0]}"


@pytest.fixture
def ingestion() -> Ingestion:
    messages = [Message(key, scalar(1.0), T0_NS) for key in KEYS]
    messages.append(Message(f"monitor/{VECTORS[1]}", spectrum(VECTORS[2]), T0_NS))
    messages.append(Message(IMAGE_KEY, image(), T0_NS))
    # One update applies every message, however busy the machine.
    ingestion = Ingestion(
        TalkingSource(messages), ingest_period_s=1.0, max_batch_seconds=3600.0
    )
    ingestion.orchestrator.update()
    return ingestion


@pytest.fixture
def html_view() -> Iterator[str]:
    """A custom view named with markup, registered for this test only."""
    name = VECTORS[2]
    register_view(name, lambda data: hv.Curve(np.zeros(2)))
    yield name
    unregister_view(name)


def open_session(
    ingestion: Ingestion,
    options: DashboardOptions,
    monkeypatch: pytest.MonkeyPatch,
    url_layout: str | None = None,
) -> tuple[DashboardSession, set[Model], str]:
    """Build the page as the server would, draw a frame; its models and title."""
    monkeypatch.setattr(shell, "_url_layout", lambda: url_layout)
    session, template = shell.build_page(ingestion, options)
    session.start()
    session.draw_frame()
    models = set()
    for view in (session.view, session.sidebar):
        models |= view.get_root().references()
    session.close(None)
    return session, models, template.title


def test_keys_and_source_words_from_the_data_are_shown_literally_everywhere(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, models, title = open_session(
        ingestion, DashboardOptions(title=VECTORS[0]), monkeypatch
    )
    sinks = assert_no_injected_markup(models)
    shown = " ".join(parsed.text for parsed in sinks)
    # Texts the browser shows as text: the plots' key labels and headers
    # (Divs shown as text), the key browser's rows (buttons' labels).
    literal = " ".join(
        [m.text for m in models if isinstance(m, Div) and m.render_as_text]
        + [m.label for m in models if isinstance(m, AbstractButton)]
    )
    for key in KEYS:
        assert key in literal
    assert f"{VECTORS[1][:-1]}" in shown  # a group header: the text before '/'
    assert f"source down: {' '.join(VECTORS)}" in shown  # the pill's reason
    assert session.status.div.render_as_text
    assert " ".join(VECTORS) in session.status.div.text
    assert parse(title).text == VECTORS[0]  # the header reads the title as HTML
    buttons = {m.label for m in models if hasattr(m, "label")}
    assert set(KEYS) <= buttons  # Bokeh draws button labels as text
    assert {m.name for m in models if isinstance(m, Div) and m.name} >= {
        "status",
        "status-pill",
        "layout-message",
        "hidden-keys",
        "frames-note",
    }


def test_a_layout_link_with_markup_in_its_key_and_view_is_said_literally(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = {"version": 1, "plots": [{"key": VECTORS[0], "view": VECTORS[1]}]}
    link = url_form(json.dumps(document))
    session, models, _ = open_session(
        ingestion, DashboardOptions(), monkeypatch, url_layout=link
    )
    assert_no_injected_markup(models)
    assert session.message.render_as_text
    assert repr(VECTORS[0]) in session.message.text
    assert repr(VECTORS[1]) in session.message.text


def test_a_layout_file_with_markup_in_its_name_and_fields_is_said_literally(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / f"{VECTORS[2]}.json"
    plots = [{"key": VECTORS[0], "view": "time_window", "seconds": VECTORS[1]}]
    path.write_text(json.dumps({"version": 1, "plots": plots}))
    session, models, _ = open_session(
        ingestion, DashboardOptions(layout_file=str(path)), monkeypatch
    )
    assert_no_injected_markup(models)
    assert str(path) in session.message.text
    assert repr(VECTORS[0]) in session.message.text


def test_a_custom_view_named_with_markup_and_a_refused_plot_are_shown_literally(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch, html_view: str
) -> None:
    layout = Layout(
        (
            PlotSpec(IMAGE_KEY, html_view),
            PlotSpec(IMAGE_KEY, "window", frames=10),
        )
    )
    session, models, _ = open_session(
        ingestion, DashboardOptions(), monkeypatch, url_layout=layout.to_url()
    )
    assert_no_injected_markup(models)
    # The custom view's header shows its text as text: key and view literally.
    (header,) = (
        model
        for model in models
        if isinstance(model, Div)
        and (model.name or "").startswith(f"custom:{html_view}")
    )
    assert header.render_as_text
    assert IMAGE_KEY in header.text
    assert html_view in header.text
    assert f"key {IMAGE_KEY!r}: an image offers no 'window' view" in (
        session.message.text
    )


def url_form(text: str) -> str:
    """A layout document as the page's URL carries it (any JSON, valid or not)."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
