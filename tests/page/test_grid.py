"""The page's grid: rows made with their first card, in their order."""

from __future__ import annotations

import panel as pn
import pytest

from app.page.grid import ROWS, DashboardGrid


def test_a_grid_without_cards_has_no_rows_to_make() -> None:
    # A page's request makes the grid's models and has no cards yet: each
    # row is an HTML layout whose model costs milliseconds (decision 107).
    grid = DashboardGrid()
    assert grid.view.objects == []
    assert grid.rows == {}


def test_rows_keep_their_order_whichever_first_card_comes_first() -> None:
    grid = DashboardGrid()
    for handle, row in enumerate(("windows", "values", "latest", "values")):
        grid.add(handle, row, pn.pane.HTML(f"card {handle}"))
    assert grid.view.objects == [grid.rows[name] for name in ROWS]
    assert [len(grid.rows[name]) for name in ROWS] == [2, 1, 1]
    grid.remove(2)
    grid.add(4, "latest", pn.pane.HTML("again"))
    assert grid.view.objects == [grid.rows[name] for name in ROWS]


def test_a_card_for_a_row_that_is_not_one_is_refused() -> None:
    with pytest.raises(KeyError, match="no row 'sideways'"):
        DashboardGrid().add(0, "sideways", pn.pane.HTML("card"))
