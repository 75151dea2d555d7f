"""A card's pairing settings: the x key of an "against" plot, and the 0-D key
a plot is divided by (decision 090).

Both choose among the 0-D keys of the catalog; choosing makes another
`PlotSpec`, which the session shows in the card's place.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace

import panel as pn

from app.data import KeyInfo
from app.plot_spec import AGAINST, AGGREGATE, BUILT_IN_VIEWS, VALUE, PlotSpec, plot_kind

NOTHING = "nothing"
"""The divide menu's choice of no divisor."""
CHOOSE = "choose…"
"""The x menu's choice while no x key is chosen."""


def divides(spec: PlotSpec) -> bool:
    """Whether `spec`'s view divides frame by frame (built in, not an aggregate)."""
    return spec.view in BUILT_IN_VIEWS and spec.view != AGGREGATE


def carried(old: PlotSpec, new: PlotSpec) -> PlotSpec:
    """`new` (another view of `old`'s key) keeping `old`'s pairings where its
    view has them."""
    x_key = old.x_key if new.view == AGAINST else None
    divide_by = old.divide_by if divides(new) else None
    return replace(new, x_key=x_key, divide_by=divide_by)


def values_of(catalog: Mapping[Hashable, KeyInfo], but: Hashable) -> list[Hashable]:
    """The 0-D keys of `catalog` other than `but`, in the catalog's order."""
    return [
        key for key, info in catalog.items() if key != but and plot_kind(info) == VALUE
    ]


def pairing_controls(
    spec: PlotSpec,
    catalog: Mapping[Hashable, KeyInfo],
    choose: Callable[[PlotSpec], None],
) -> list[pn.viewable.Viewable]:
    """The card's menus of x key and divisor, as `spec`'s view has them;
    `choose` gets the spec a menu's choice makes."""
    keys = values_of(catalog, spec.key)
    controls: list[pn.viewable.Viewable] = []
    if spec.view == AGAINST:
        controls.append(_menu("against", "x_key", CHOOSE, spec, keys, choose))
    if divides(spec):
        controls.append(_menu("divide by", "divide_by", NOTHING, spec, keys, choose))
    return controls


def _menu(
    label: str,
    field: str,
    none: str,
    spec: PlotSpec,
    keys: list[Hashable],
    choose: Callable[[PlotSpec], None],
) -> pn.widgets.Select:
    """A menu of the 0-D `keys` for `spec`'s `field` (`none`: no key)."""
    current = getattr(spec, field)
    options = _options(keys, current, none=none)
    menu = pn.widgets.Select(
        label=label,
        options=list(options),
        value=_label(current, none),
        width=190,
        css_classes=[f"plot-{field.replace('_', '-')}"],
    )
    menu.param.watch(
        lambda event: _chosen(options, event.new, spec, field, choose), "value"
    )
    return menu


def _label(key: Hashable | None, none: str) -> str:
    return none if key is None else str(key)


def _options(
    keys: list[Hashable], current: Hashable | None, *, none: str
) -> dict[str, Hashable | None]:
    options: dict[str, Hashable | None] = {none: None}
    if current is not None and current not in keys:
        keys = [current, *keys]  # a layout's key that has not arrived yet
    options |= {str(key): key for key in keys}
    return options


def _chosen(
    options: dict[str, Hashable | None],
    label: str,
    spec: PlotSpec,
    field: str,
    choose: Callable[[PlotSpec], None],
) -> None:
    new = replace(spec, **{field: options.get(label)})
    if new != spec:
        choose(new)
