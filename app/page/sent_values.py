"""A new model is sent with the values it has, without making each default it
leaves out (decision 104).

Bokeh sends a model new to the browser with the properties set on it (and
the themed ones), not its defaults: the browser has those. To find them,
Bokeh's `HasProps.query_properties_with_values` makes the value of every
property, validated, defaults included, and only then drops the defaults; a
figure's models have some 30 properties each, most left at their default.
Placing one plot's card made 1,200 such defaults and spent about 40% of its
turn of the loop serializing (a profile of the served page's build).

The defaults skipped are those whose making changes nothing and whose value
Bokeh drops: a class's stable defaults that are defined, on a model that
neither set nor themed them. A required property without a value still
raises, and an unstable default (a list, a model) is left to Bokeh, which
makes those when it makes the model and keeps them: what is sent, the
model's state afterwards and the errors are Bokeh's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bokeh.core.has_props import HasProps
from bokeh.core.property.descriptors import (
    DataSpecPropertyDescriptor,
    PropertyDescriptor,
)
from bokeh.core.property.singletons import Undefined

from app.page.as_written import as_written

_BOKEH_SELECTED = (
    "selected_keys = set(self._property_values.keys()) | "
    "set(self._unstable_default_values.keys())"
)
"""How Bokeh 3.9's `query_properties_with_values` chooses what it returns
without defaults; it makes every value before it looks."""

_PLAIN = (PropertyDescriptor, DataSpecPropertyDescriptor)
"""Descriptors whose value is the property's own (not an alias of another)."""

_skippable: dict[type, frozenset[str]] = {}


def skippable_defaults(cls: type[HasProps]) -> frozenset[str]:
    """The properties of `cls` whose default is stable, defined and valid:
    making it has no effect but its value."""
    known = _skippable.get(cls)
    if known is not None:
        return known
    names = set()
    for name in cls.properties(_with_props=True):
        descriptor = cls.lookup(name)
        if type(descriptor) not in _PLAIN:
            continue
        # A class-level question: Bokeh asks it of the instance's class too.
        if descriptor.has_unstable_default(cls):  # type: ignore[arg-type]
            continue
        try:
            default = descriptor.class_default(cls)
        except Exception:  # made as Bokeh makes it, to fail there
            continue
        if default is not Undefined:
            names.add(name)
    known = _skippable[cls] = frozenset(names)
    return known


def skip_unsent_defaults() -> bool:
    """Let Bokeh find a model's values to send without making its defaults.

    Only where `HasProps.query_properties_with_values` is the one written for
    (Bokeh 3.9, which pyproject pins); elsewhere it is left alone, with a
    warning. Returns whether it is in place.
    """
    query_values = HasProps.query_properties_with_values
    if getattr(query_values, "skips_unsent_defaults", False):
        return True
    if not as_written(
        "bokeh",
        "HasProps.query_properties_with_values",
        "every new model sent makes all its defaults",
        (query_values, _BOKEH_SELECTED),
    ):
        return False

    def querying(
        self: HasProps,
        query: Callable[[PropertyDescriptor[Any]], bool],
        *,
        include_defaults: bool = True,
        include_undefined: bool = False,
    ) -> dict[str, Any]:
        if include_defaults:
            return query_values(
                self, query, include_defaults=True, include_undefined=include_undefined
            )
        # What Bokeh would make and then drop: not set, not kept, not themed.
        unsent = skippable_defaults(type(self)).difference(
            self._property_values, self._unstable_default_values
        )
        themed = self.themed_values()
        if themed:
            unsent = unsent.difference(themed)
        return query_values(
            self,
            lambda descriptor: descriptor.name not in unsent and query(descriptor),
            include_defaults=False,
            include_undefined=include_undefined,
        )

    querying.skips_unsent_defaults = True  # type: ignore[attr-defined]
    querying.bokehs = query_values  # type: ignore[attr-defined]
    HasProps.query_properties_with_values = querying  # type: ignore[method-assign]
    return True
