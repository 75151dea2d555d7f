"""The key browser: every key, searchable, grouped by prefix, one click to plot.

Only the matches of the search are rendered, a page at a time, so the sidebar
costs the same with 10,000 keys as with ten (decision 052).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

import panel as pn
from bokeh.events import ButtonClick
from bokeh.models import Button, Div
from bokeh.models import Column as BokehColumn

from app.bokeh_buttons import button_sheet
from app.data import KeyInfo
from app.durations import coarse_duration
from app.ingestion.key_activity import KeyActivity
from app.limits import MAX_KEY_SEARCH_CHARS, MAX_KEYS_LISTED
from app.page.bokehjs_patches import IN_PLACE
from app.page_text import escaped, html_div, markup, text_div
from app.plot_spec import (
    BUILT_IN_VIEWS,
    IMAGE,
    LATEST,
    SPECTRUM,
    VALUE,
    VOLUME,
    plot_kind,
)
from app.plotters.columns import unit_label

PAGE_SIZE = 20
"""Keys rendered at once; the rest are reached by searching or paging."""

KIND_NAMES = {
    VALUE: "value",
    SPECTRUM: "spectrum",
    IMAGE: "image",
    VOLUME: "3-D (summed)",
    None: "not plotted",
}


@dataclass(frozen=True)
class KeyMatches:
    """One page of the keys matching a search, and how many match in all."""

    keys: tuple[Hashable, ...]
    total: int
    page: int
    pages: int


def group_of(key: Hashable) -> str:
    """The prefix a key is grouped under: ``monitor/m1`` -> ``monitor/``."""
    text = str(key)
    prefix, sep, _ = text.partition("/")
    return f"{prefix}/" if sep else "(no prefix)"


def match_keys(
    keys: tuple[Hashable, ...],
    query: str,
    page: int,
    page_size: int = PAGE_SIZE,
    most: int = MAX_KEYS_LISTED,
) -> KeyMatches:
    """The `page`-th page of `keys` (sorted by group) whose name contains `query`.

    Every word of the query must appear, case-insensitively, in any order. Of
    the matches, the first `most` are paged through (decision 084); `total`
    counts them all.
    """
    words = query.lower().split()
    matches = [k for k in keys if all(w in str(k).lower() for w in words)]
    listed = min(len(matches), most)
    pages = max(1, -(-listed // page_size))
    page = min(max(page, 0), pages - 1)
    shown = matches[page * page_size : min((page + 1) * page_size, listed)]
    return KeyMatches(tuple(shown), len(matches), page, pages)


def search_refusal(query: str) -> str:
    """Why the key browser does not run `query`, or "" if it does."""
    if len(query) > MAX_KEY_SEARCH_CHARS:
        return (
            f"search not run: {len(query):,} characters, a search takes at most "
            f"{MAX_KEY_SEARCH_CHARS}"
        )
    return ""


def count_text(matches: KeyMatches, most: int = MAX_KEYS_LISTED) -> str:
    """``42 keys · page 1 of 3``; says when only the first `most` are listed."""
    text = f"{matches.total} keys · page {matches.page + 1} of {matches.pages}"
    if matches.total > most:
        text += f" · the first {most} are listed: narrow the search"
    return text


def sorted_keys(catalog: Mapping[Hashable, KeyInfo]) -> tuple[Hashable, ...]:
    """Catalog keys by group, then name."""
    return tuple(sorted(catalog, key=lambda k: (group_of(k), str(k))))


def format_rate(rate_hz: float) -> str:
    """``0.5/s``, ``14/s``; ``-`` for no data lately."""
    if rate_hz <= 0:
        return "idle"
    return f"{rate_hz:.2g}/s" if rate_hz < 10 else f"{rate_hz:.0f}/s"


RATE_TOLERANCE = 0.15
"""A key's shown rate changes only when the measured one moves by more than this."""


def steady_rate(shown: float | None, measured: float) -> float:
    """The rate to show: `shown` while `measured` stays within `RATE_TOLERANCE`.

    A smoothed rate wanders by a few per cent from interval to interval; each new
    text is a page patch per session and a relayout in every browser, for a
    change nobody reads. Stopping (0) and starting show at once.
    """
    if shown is None or shown <= 0 or measured <= 0:
        return measured
    return shown if abs(measured - shown) <= RATE_TOLERANCE * shown else measured


def format_key_age(seconds: float) -> str:
    """How old a key's newest value is, short enough for a list."""
    return "now" if seconds < 1 else f"{coarse_duration(seconds)} ago"


def describe_key(info: KeyInfo, activity_text: str) -> str:
    """``spectrum · counts · 5/s · now``."""
    return f"{KIND_NAMES[plot_kind(info)]} · {unit_label(info.unit)} · {activity_text}"


class KeyDetails:
    """What the key browser says of each key (kind, unit, rate, age), said
    once per period for every browser that asks (decision 082).

    One per process serves every session: the rates are steadied once
    (`steady_rate`), not once per session, and a key's text is computed by
    the first browser that shows it in a period.

    Parameters
    ----------
    catalog:
        Returns the DataService's current catalog (a cheap snapshot).
    activity:
        Arrivals per key, for rates and ages.
    period_ns:
        How long a key's text serves.
    """

    def __init__(
        self,
        catalog: Callable[[], Mapping[Hashable, KeyInfo]],
        activity: KeyActivity,
        period_ns: int = 1_000_000_000,
    ) -> None:
        self._catalog = catalog
        self._activity = activity
        self._period_ns = period_ns
        self._period: int | None = None
        self._seen: Mapping[Hashable, KeyInfo] | None = None
        self._sorted: tuple[Hashable, ...] = ()
        self._texts: dict[Hashable, str] = {}
        self._rates: dict[Hashable, float] = {}
        self.computed = 0
        """How many key texts were computed (tests count them)."""

    def sorted_keys(self, catalog: Mapping[Hashable, KeyInfo]) -> tuple[Hashable, ...]:
        """`catalog`'s keys by group and name, sorted once per catalog."""
        if catalog is not self._seen:
            self._seen = catalog
            self._sorted = sorted_keys(catalog)
            self._texts = {}
        return self._sorted

    def text(self, key: Hashable, now_ns: int) -> str:
        """``spectrum · counts · 5/s · now``, or ``gone``."""
        period = now_ns // self._period_ns
        catalog = self._catalog()
        if period != self._period or catalog is not self._seen:
            self.sorted_keys(catalog)
            self._period = period
            self._texts = {}
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._describe(key, catalog, now_ns)
        return text

    def _describe(
        self, key: Hashable, catalog: Mapping[Hashable, KeyInfo], now_ns: int
    ) -> str:
        self.computed += 1
        info = catalog.get(key)
        if info is None:
            return "gone"
        arrival = self._activity.get(key)
        if arrival is None:
            activity = "no arrivals counted"
        else:
            rate = steady_rate(self._rates.get(key), arrival.rate_hz(now_ns))
            self._rates[key] = rate
            activity = f"{format_rate(rate)} · {format_key_age(arrival.age_s(now_ns))}"
        return describe_key(info, activity)


class KeyBrowser:
    """The sidebar's list of keys; calls `on_add(key, view)` when one is clicked.

    Parameters
    ----------
    catalog:
        Returns the DataService's current catalog (a cheap snapshot).
    activity:
        Arrivals per key, for rates and ages.
    on_add:
        Adds a plot of a key in a view (``latest``, ``window``, ...).
    custom_views:
        Names of custom views offered besides the built-in ones.
    schedule:
        Runs a change of the list where the session's document may change.
    details:
        What to say of each key; shared by a process's browsers, else this
        browser's own.
    listed:
        Whether the keys are listed at once; else at the first `refresh`
        (a served page adds the list a turn after the browser, decision 064).
    """

    def __init__(
        self,
        catalog: Callable[[], Mapping[Hashable, KeyInfo]],
        activity: KeyActivity,
        on_add: Callable[[Hashable, str], None],
        custom_views: tuple[str, ...] = (),
        schedule: Callable[[Callable[[], None]], None] = lambda action: action(),
        details: KeyDetails | None = None,
        *,
        listed: bool = True,
    ) -> None:
        self._catalog = catalog
        self._schedule = schedule
        self._key_details = details or KeyDetails(catalog, activity)
        self._on_add = on_add
        self._seen: Mapping[Hashable, KeyInfo] | None = None
        self._keys: tuple[Hashable, ...] = ()
        self._page = 0
        self._shown: tuple[Hashable, ...] = ()
        # Plain Bokeh Divs: a new text is one property change, not a pane's
        # update, in every session once a second.
        self._details: dict[Hashable, Div] = {}
        self.search = pn.widgets.TextInput(
            placeholder="search keys",
            # The browser stops typing here; the server refuses a longer text
            # that arrives anyway (decision 084).
            max_length=MAX_KEY_SEARCH_CHARS,
            css_classes=["key-search"],
            sizing_mode="stretch_width",
        )
        self.add_as = pn.widgets.Select(
            label="add as",
            options=list(BUILT_IN_VIEWS + custom_views),
            value=LATEST,
            css_classes=["key-add-as"],
            sizing_mode="stretch_width",
        )
        self.count = pn.pane.HTML("", css_classes=["key-count"], margin=(0, 10))
        self.previous = pn.widgets.Button(
            label="prev", width=60, css_classes=["key-prev"]
        )
        self.next = pn.widgets.Button(label="next", width=60, css_classes=["key-next"])
        # The list is Bokeh's models alone, in one pane: made as Panel's
        # buttons and panes, a page of keys held the loop 85-145 ms (decision
        # 064).
        self.list = BokehColumn(children=[], sizing_mode="stretch_width")
        # The page's sheet for every button of the list: they look like Panel's.
        self._button_css = button_sheet()
        self.view = pn.Column(
            pn.pane.Markdown("### Keys", margin=(0, 10)),
            self.search,
            self.add_as,
            pn.Row(self.previous, self.count, self.next),
            pn.pane.Bokeh(self.list, sizing_mode="stretch_width", margin=0),
            sizing_mode="stretch_width",
        )
        self.search.param.watch(
            lambda event: self._schedule(self._on_search), "value_input"
        )
        self.previous.on_click(lambda event: self._schedule(lambda: self._turn(-1)))
        self.next.on_click(lambda event: self._schedule(lambda: self._turn(+1)))
        if listed:
            self.refresh()

    @property
    def listed(self) -> bool:
        """Whether the keys were listed."""
        return self._seen is not None

    def refresh(self, now_ns: int | None = None) -> None:
        """Follow the catalog and refresh rates and ages (call once a second)."""
        catalog = self._catalog()
        if catalog is not self._seen:
            self._seen = catalog
            self._keys = self._key_details.sorted_keys(catalog)
            self._render()
        now_ns = time.time_ns() if now_ns is None else now_ns
        for key, div in self._details.items():
            text = self._key_details.text(key, now_ns)
            if div.text != text:
                div.text = text

    @property
    def shown_keys(self) -> tuple[Hashable, ...]:
        """The keys listed now."""
        return self._shown

    @property
    def details(self) -> dict[Hashable, str]:
        """What the list says of each key it shows."""
        return {key: div.text for key, div in self._details.items()}

    def _on_search(self) -> None:
        self._page = 0
        self._render()

    def _turn(self, step: int) -> None:
        self._page += step
        self._render()

    def _render(self) -> None:
        query = self.search.value_input or ""
        refusal = search_refusal(query)
        if refusal:
            # The list stays as it was: the search box says why it did not move.
            self.count.object = escaped(refusal)
            return
        matches = match_keys(self._keys, query, self._page)
        self._page = matches.page
        self.count.object = escaped(count_text(matches))
        if matches.keys == self._shown:
            return
        self._shown = matches.keys
        now_ns = time.time_ns()
        rows: list[Button | Div] = []
        self._details = {}
        group = None
        for key in matches.keys:
            if group_of(key) != group:
                group = group_of(key)
                header = html_div(margin=(6, 10, 0, 10))
                header.text = markup("<b>{group}</b>", group=group)
                rows.append(header)
            button = Button(
                label=str(key),
                button_type="light",
                css_classes=["key-add"],
                stylesheets=[self._button_css],
                # An attribute's value, set by the browser as text.
                html_attributes={"title": f"add a plot of {key}"},
                sizing_mode="stretch_width",
                margin=(0, 10),
            )
            button.on_event(
                ButtonClick,
                lambda event, key=key: self._schedule(lambda: self._add(key)),
            )
            detail = text_div(
                self._key_details.text(key, now_ns),
                css_classes=["key-detail"],
                margin=(0, 14),
                styles={"font-size": "80%", "color": "#888"},
                tags=[IN_PLACE],
            )
            self._details[key] = detail
            rows.append(button)
            rows.append(detail)
        self.list.children = rows

    def _add(self, key: Hashable) -> None:
        self._on_add(key, self.add_as.value)
