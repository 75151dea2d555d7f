"""The page's grid: three rows of plot cards (values, latest-value plots, windows)."""

from __future__ import annotations

import panel as pn

from app.page.reactive_templates import compile_templates_once

ROWS = ("values", "latest", "windows")


class DashboardGrid:
    """Three rows of cards: values, latest-value plots, windows.

    Cards are placed by a handle (the page's plot), so a caller need not keep
    the card to move or remove it.
    """

    def __init__(self) -> None:
        compile_templates_once()  # a row's template, once a process (107)
        # Rows made with their first card, kept once made: a row is an HTML
        # layout whose model costs 3-8 ms to make, and a page's request,
        # which makes the grid's models, has no cards yet (decision 107).
        self.rows: dict[str, pn.FlexBox] = {}
        self.view = pn.Column(sizing_mode="stretch_width")
        self._cards: dict[int, tuple[str, pn.viewable.Viewable]] = {}

    def row(self, name: str) -> pn.FlexBox:
        """The row `name`, made and put in its place among the rows if new."""
        if name not in self.rows:
            if name not in ROWS:
                raise KeyError(f"no row {name!r}: the grid's rows are {ROWS}")
            # Rows as wide as the page: their cards share the width (`app.page.card`).
            self.rows[name] = pn.FlexBox(sizing_mode="stretch_width", margin=0)
            place = sum(1 for other in ROWS[: ROWS.index(name)] if other in self.rows)
            self.view.insert(place, self.rows[name])
        return self.rows[name]

    def add(
        self,
        handle: object,
        row: str,
        card: pn.viewable.Viewable,
        index: int | None = None,
    ) -> None:
        """Put a card in a row at `index` among its cards (after them if None)."""
        cards = self.row(row)
        self._cards[id(handle)] = (row, card)
        if index is None or index >= len(cards):
            cards.append(card)
        else:
            cards.insert(index, card)

    def replace(self, handle: object, new: object, card: pn.viewable.Viewable) -> None:
        """Show `card`, the card of `new`, where the card of `handle` was."""
        row, old = self._cards.pop(id(handle))
        cards = self.rows[row]
        cards[cards.objects.index(old)] = card
        self._cards[id(new)] = (row, card)

    def remove(self, handle: object) -> None:
        """Take a card out of its row, if it was placed (a page being built
        makes a plot before it places its card)."""
        placed = self._cards.pop(id(handle), None)
        if placed is not None:
            row, card = placed
            self.rows[row].remove(card)

    def row_of(self, handle: object) -> str | None:
        """The row the card of `handle` is in; None if it is in none."""
        placed = self._cards.get(id(handle))
        return None if placed is None else placed[0]
