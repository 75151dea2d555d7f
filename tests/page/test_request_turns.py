"""A page's request in two turns: its parts made as the session is created,
a turn of the loop before its script (decision 064)."""

import asyncio
import threading
from types import SimpleNamespace

from bokeh.application import Application
from bokeh.document import Document
from panel.io.state import set_curdoc

from app.page.request_turns import LetOthersRun, made_at_creation, take_made


def session_context(application: Application) -> SimpleNamespace:
    """What a session-created callback reads of Bokeh's session context."""
    return SimpleNamespace(
        server_context=SimpleNamespace(
            application_context=SimpleNamespace(application=application)
        )
    )


def test_a_sessions_page_is_made_at_its_creation_and_taken_once_by_its_script() -> None:
    application = Application()
    made = made_at_creation(lambda: "the page")
    first, second = Document(), Document()
    with set_curdoc(first):
        made(session_context(application))
    with set_curdoc(second):
        made(session_context(application))
    handlers = [h for h in application.handlers if isinstance(h, LetOthersRun)]
    assert len(handlers) == 1  # put in once, for every later session
    assert take_made(first) == "the page"
    assert take_made(first) is None
    # A script that never took its page: dropped with its session.
    for callback in second.session_destroyed_callbacks:
        callback(None)
    assert take_made(second) is None


def test_a_page_that_fails_as_its_session_is_created_is_left_to_its_script() -> None:
    def fails() -> str:
        raise RuntimeError("no page")

    document = Document()
    with set_curdoc(document):
        made_at_creation(fails)(session_context(Application()))
    assert take_made(document) is None


def test_the_sessions_creation_ends_a_turn_of_the_loop() -> None:
    # What waits in the loop (another session's frame, a request) runs
    # between the page's parts and its script.
    order: list[str] = []

    async def create() -> None:
        asyncio.get_running_loop().call_soon(order.append, "another callback")
        await LetOthersRun().on_session_created(None)
        order.append("the script")

    # Its own thread and loop: a test worker may run a loop of its own.
    thread = threading.Thread(target=lambda: asyncio.run(create()))
    thread.start()
    thread.join(10)
    assert order == ["another callback", "the script"]
