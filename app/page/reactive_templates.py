"""Panel's HTML layouts compile their template once a process (decision 107).

A row of cards is a Panel `FlexBox`, whose HTML is a Jinja template looping
over its cards. Panel 1.9 compiles that template anew each time it makes the
row's model and each time a card joins or leaves the row: 3-7 ms each on the
2-core test machine, three rows in every page's request and one more in
every turn that places a card, in which no other session draws. The text it
compiles is the same each time (the loop is indexed, not unrolled), so the
compiled template is kept by its text and rendered as Panel renders it.
"""

from __future__ import annotations

import functools
import types
from typing import Any

import jinja2
import panel.reactive

from app.page.as_written import as_written

TEMPLATES_KEPT = 256
"""Distinct templates kept: one a kind of HTML layout and loop, a handful."""


@functools.lru_cache(maxsize=TEMPLATES_KEPT)
def compiled(source: str) -> jinja2.Template:
    """The template of `source`, compiled once while kept."""
    return jinja2.Template(source)


class _KeptTemplates(types.ModuleType):
    """`jinja2` as Panel's reactive module sees it: `Template` kept by text."""

    Template = staticmethod(compiled)

    def __getattr__(self, name: str) -> Any:
        return getattr(jinja2, name)


def compile_templates_once() -> None:
    """Put the kept templates in place for Panel's HTML layouts (idempotent).

    Only where Panel compiles as it was written for (the pinned 1.9);
    elsewhere it compiles as before, with a warning.
    """
    if isinstance(panel.reactive.jinja2, _KeptTemplates):
        return
    if not as_written(
        "panel",
        "ReactiveHTML._get_template",
        "rows of cards compile their template each time a card is placed",
        (
            panel.reactive.ReactiveHTML._get_template,
            "template = jinja2.Template(template_string)",
        ),
    ):
        return
    panel.reactive.jinja2 = _KeptTemplates("jinja2")
