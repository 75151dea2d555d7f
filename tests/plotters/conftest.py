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
