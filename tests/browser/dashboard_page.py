"""A browser tab on the served dashboard, read through BokehJS's document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

TIMEOUT_MS = 30_000
RANGES_JS = (
    "(doc, name) => { const f = doc.get_model_by_name(name); return"
    " [f.x_range.start, f.x_range.end, f.y_range.start, f.y_range.end]; }"
)
IS_MODEL_JS = "(value) => value instanceof Bokeh.require('core/has_props').HasProps"
# The page's main thread busy 900 ms of every second, so each frame's
# acknowledgement waits up to 0.9 s. CPU throttling alone does not slow a page
# the same on every machine: a throttled tab drawing one key may keep up.
BUSY_MAIN_THREAD_JS = """() => {
    window.__busy = setInterval(() => {
        const end = performance.now() + 900;
        while (performance.now() < end) {}
    }, 1000);
}"""


@contextmanager
def shared_tab(chromium: Browser, url: str) -> Iterator[DashboardPage]:
    """One tab on `url`, opened once for a module's tests that leave it as
    they found it: a tab each would cost seconds each."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    try:
        yield DashboardPage(context.new_page()).open(url)
    finally:
        context.close()


def open_settings(card: Locator) -> Locator:
    """Open a card's settings (its ⚙) and return them, once shown."""
    card.locator(".plot-settings button").click()
    settings = card.locator(".plot-settings-panel")
    settings.wait_for()
    return settings


class DashboardPage:
    """A browser tab on the dashboard, read through BokehJS's document."""

    def __init__(self, page: Page) -> None:
        self.page = page
        page.set_default_timeout(TIMEOUT_MS)

    def open(self, url: str) -> DashboardPage:
        self.page.goto(url)
        self.wait_until_connected()
        self.wait_until_built()
        return self

    def wait_until_built(self) -> None:
        """Until the session built every plot it can (they come in slices)."""
        # The page may reload itself meanwhile, to this browser's stored layout.
        self.page.wait_for_function(
            "() => { const doc = window.Bokeh && Bokeh.documents[0];"
            " const m = doc && doc.get_model_by_name('build-progress');"
            " return Boolean(m) && m.text === ''; }",
            polling=50,
        )

    def wait_until_connected(self) -> None:
        self.page.wait_for_function(
            "() => window.Bokeh && Bokeh.documents.length", polling=50
        )

    def wait_for(self, predicate: str, arg: Any = None) -> Any:
        """Poll a JS predicate ``(doc, arg) => ...`` until it is truthy; return it.

        A model it returns comes back as True: Playwright would take seconds to
        turn a model, which reaches the whole document, into JSON.
        """
        # Interval polling: requestAnimationFrame stops in background tabs.
        handle = self.page.wait_for_function(
            f"(arg) => {{ const value = ({predicate})(Bokeh.documents[0], arg);"
            f" return ({IS_MODEL_JS})(value) || value; }}",
            arg=arg,
            polling=50,
        )
        return handle.json_value()

    @contextmanager
    def too_busy_to_keep_up(self) -> Iterator[None]:
        """A browser that cannot draw as fast as frames come, on any machine."""
        self.page.evaluate(BUSY_MAIN_THREAD_JS)
        try:
            yield
        finally:
            self.page.evaluate("() => clearInterval(window.__busy)")

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

    def card(self, kind: str, key: str) -> Locator:
        """The card of one plot (``kind`` line, image or window) with its controls."""
        return self.page.locator(f".{kind}-{re.sub(r'[^A-Za-z0-9_-]', '-', key)}")

    def header(self, figure: str) -> str:
        """The header text of the card of the named figure (``figure:...``)."""
        return self.evaluate(
            "(doc, name) => doc.get_model_by_name(name).text",
            figure.replace("figure:", "header:", 1),
        )

    def ranges(self, figure: str) -> list[float]:
        """``[x start, x end, y start, y end]`` of the named figure."""
        return self.evaluate(f"(doc, name) => ({RANGES_JS})(doc, name)", figure)

    def pan(self, canvas: Locator, figure: str, dx: float, dy: float) -> None:
        """Drag the mouse across ``canvas`` from its centre (the pan tool) until
        the named figure says it was panned. A drag a loaded browser took while
        the page still moved pans nothing: then, and only then, it drags again.

        The figure's x range must be one the browser fits to the data (a
        ``DataRange1d``): BokehJS marks it when a tool moved it. Ranges that
        merely changed are no sign: a range fitted to the data moves with every
        frame until a pan holds it (a log scale leaves out other points each
        frame), and a drag that panned nothing then looked like one that did.
        """
        panned = (
            f"() => Bokeh.documents[0].get_model_by_name({figure!r})"
            ".x_range.have_updated_interactively === true"
        )
        fitted = self.evaluate(
            "(doc, name) => 'have_updated_interactively'"
            " in doc.get_model_by_name(name).x_range",
            figure,
        )
        assert fitted, f"{figure}: its x range is not fitted by the browser"
        for _ in range(3):
            box = canvas.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            self.page.mouse.move(x, y)
            self.page.mouse.down()
            self.page.mouse.move(x + dx, y + dy, steps=10)
            self.page.mouse.up()
            try:
                self.page.wait_for_function(panned, timeout=10_000)
                break
            except PlaywrightTimeout:
                continue
        else:
            raise AssertionError(f"{figure}: three drags panned nothing")
        # A busy browser may apply a drag's last moves late: the pan is done
        # once the ranges hold still.
        ranges = self.ranges(figure)
        for _ in range(30):
            self.page.wait_for_timeout(300)  # polling, bounded by the count
            now = self.ranges(figure)
            if now == ranges:
                return
            ranges = now
        raise AssertionError(f"{figure}: the ranges kept moving after the pan")
