"""Panel's HTML layouts compile their template once (decision 107)."""

from __future__ import annotations

import jinja2
import panel as pn
import panel.reactive
import pytest
from bokeh.document import Document

from app.page.reactive_templates import compile_templates_once, compiled


@pytest.fixture(autouse=True)
def kept() -> None:
    compile_templates_once()
    compiled.cache_clear()


def row(cards: int) -> pn.FlexBox:
    return pn.FlexBox(*(pn.pane.HTML(f"card {n}") for n in range(cards)), margin=0)


def test_is_in_place_for_the_pinned_panel() -> None:
    assert panel.reactive.jinja2.Template is compiled
    assert panel.reactive.jinja2.Environment is jinja2.Environment  # the rest as is


def test_rows_made_and_grown_compile_their_template_once() -> None:
    document = Document()
    rows = [row(2), row(0)]
    for each in rows:
        each.get_root(document)
    rows[1].append(pn.pane.HTML("placed"))
    rows[0].pop(0)
    info = compiled.cache_info()
    assert info.misses == 1  # Panel as written compiles four times
    assert info.hits == 3


def test_a_row_is_rendered_as_panel_renders_it(monkeypatch: pytest.MonkeyPatch) -> None:
    flex = row(3)
    ours = flex._get_template()
    monkeypatch.setattr(panel.reactive, "jinja2", jinja2)
    assert flex._get_template() == ours
    model = flex.get_root(Document())
    monkeypatch.undo()
    assert flex.get_root(Document()).html == model.html
