"""Plotters drawn into a real Bokeh document, fed by a real DataService."""

import pytest
from bokeh.document import Document
from bokeh.document.events import DocumentChangedEvent

from app.data import DataService


class DocumentEvents:
    """Every change event a Bokeh document would send to the browser."""

    def __init__(self, document: Document) -> None:
        self.events: list[DocumentChangedEvent] = []
        document.on_change(self.events.append)

    def of_kind(self, kind: type) -> list[DocumentChangedEvent]:
        return [event for event in self.events if isinstance(event, kind)]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def data_service() -> DataService:
    return DataService()


@pytest.fixture
def document() -> Document:
    return Document()


@pytest.fixture
def document_events(document: Document) -> DocumentEvents:
    return DocumentEvents(document)


@pytest.fixture
def line_drawn(data_service: DataService, document: Document):
    """A line plot of ``monitor/m1`` in `document`, its first spectrum drawn."""
    from app.plotters import LinePlotter
    from tests.plotters.plotter_frames import T0_NS, spectrum

    plotter = LinePlotter("monitor/m1")
    document.add_root(plotter.root)
    plotter.subscribe(data_service)
    data_service["monitor/m1"] = spectrum(0)
    plotter.draw(now_ns=T0_NS)
    return plotter


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch):
    """Sign-in on, alice an operator; returns a function that signs a user in."""
    import panel as pn

    from app import roles

    user: dict[str, str | None] = {"name": None}
    monkeypatch.setattr(roles, "sign_in_on", lambda: True)
    monkeypatch.setattr(roles, "_operators", roles.Operators.named(["alice"]))
    monkeypatch.setattr(type(pn.state), "user", property(lambda state: user["name"]))

    def sign_in(name: str) -> None:
        user["name"] = name

    return sign_in


@pytest.fixture
def audit(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """This process's audit, in a temporary state directory."""
    from app import audit

    log = audit.AuditLog(tmp_path)
    monkeypatch.setattr(audit, "_audit", log)
    return log
