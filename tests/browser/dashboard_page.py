"""A browser tab on the served dashboard, read through BokehJS's document."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

TIMEOUT_MS = 30_000


class DashboardPage:
    """A browser tab on the dashboard, read through BokehJS's document."""

    def __init__(self, page: Page) -> None:
        self.page = page
        page.set_default_timeout(TIMEOUT_MS)

    def open(self, url: str) -> DashboardPage:
        self.page.goto(url)
        self.wait_until_connected()
        return self

    def wait_until_connected(self) -> None:
        self.page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length", polling=50
        )

    def wait_for(self, predicate: str, arg: Any = None) -> Any:
        """Poll a JS predicate ``(doc, arg) => ...`` until it is truthy; return it."""
        # Interval polling: requestAnimationFrame stops in background tabs.
        handle = self.page.wait_for_function(
            f"(arg) => ({predicate})(Bokeh.documents[0], arg)", arg=arg, polling=50
        )
        return handle.json_value()

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Evaluate ``(doc, arg) => ...`` once."""
        return self.page.evaluate(
            f"(arg) => ({expression})(Bokeh.documents[0], arg)", arg
        )

    def column(self, source: str, column: str) -> list:
        return self.evaluate(
            "(doc, [s, c]) => Array.from(doc.get_model_by_name(s).data[c])",
            [source, column],
        )

    def wait_for_rows(self, source: str, column: str, rows: int) -> None:
        self.wait_for(
            "(doc, [s, c, n]) => { const m = doc.get_model_by_name(s);"
            " return m && m.data[c] && m.data[c].length === n; }",
            [source, column, rows],
        )

    def wait_for_data(self, source: str, column: str) -> None:
        self.wait_for(
            "(doc, [s, c]) => { const m = doc.get_model_by_name(s);"
            " return m && m.data[c] && m.data[c].length > 0; }",
            [source, column],
        )

    def status(self) -> str:
        return self.evaluate("(doc) => doc.get_model_by_name('status').text")
