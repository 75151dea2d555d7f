"""A destroyed page's Bokeh models are taken apart, a slice a turn (decision 108).

Bokeh's `Document.destroy` clears each model's own values (`Model.destroy`)
and leaves the rest to a full collection: the values Bokeh made for
properties with unstable defaults, each container value's owners, which name
the model back, and the models' Python callbacks, which name the page's Panel
and plotting objects. Those cycles were about half of the 128,000 objects
the sweep after a 48-plot page's close freed (decision 102), and the freeing
is most of a sweep's time. Taken apart here, the models' values are freed as
their last reference goes, in turns of the loop between other sessions', and
the sweep frees the rest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from bokeh.core.property.wrappers import PropertyValueContainer
from bokeh.model import Model

SLICE_S = 0.01
"""A turn of the loop takes models apart for about this long."""


def take_apart(model: Model) -> None:
    """Clear what Bokeh's `Model.destroy` leaves: values made for unstable
    defaults and themes, the owners their containers name, the callbacks."""
    for values in (
        model._property_values,
        model._unstable_default_values,
        model._unstable_themed_values,
    ):
        for value in values.values():
            if isinstance(value, PropertyValueContainer):
                value._owners.clear()
        values.clear()
    model._callbacks.clear()
    model._event_callbacks.clear()
    model._document = None
    model._temp_document = None


class Teardown:
    """Models of destroyed documents, taken apart in slices of `SLICE_S`.

    Parameters
    ----------
    schedule:
        Runs an action in a later turn of the loop; by default the running
        asyncio loop's, and with none running (a test's document) the models
        are taken apart at once.
    """

    def __init__(self, schedule: Callable[[Callable[[], None]], object] | None = None):
        self._schedule = schedule
        self._waiting: list[Model] = []
        # How the next slice is scheduled while one is due, else None.
        self._due_on: Callable[[Callable[[], None]], object] | None = None
        self.taken_apart = 0

    def add(self, models: Iterable[Model]) -> None:
        """Take `models` apart, their document destroyed."""
        self._waiting.extend(models)
        schedule = self._schedule or _on_the_running_loop()
        if schedule is None:
            self._slice(until=float("inf"))
        elif self._waiting and self._due_on is None:  # else the slice due
            self._due_on = schedule
            schedule(self._next_slice)

    def _next_slice(self) -> None:
        self._slice(until=time.perf_counter() + SLICE_S)
        if self._waiting:
            self._due_on(self._next_slice)
        else:
            self._due_on = None

    def _slice(self, until: float) -> None:
        """Take models apart until `until` (at least one)."""
        waiting = self._waiting
        while waiting:
            take_apart(waiting.pop())
            self.taken_apart += 1
            if time.perf_counter() >= until:
                break

    @property
    def waiting(self) -> int:
        """Models not taken apart yet."""
        return len(self._waiting)


def _on_the_running_loop() -> Callable[[Callable[[], None]], object] | None:
    try:
        return asyncio.get_running_loop().call_soon
    except RuntimeError:
        return None


TEARDOWN = Teardown()
"""The process's: documents are destroyed by the server's loop."""
