"""What the page's tests share."""

import pytest
from bokeh.document.models import DocumentModelManager


@pytest.fixture
def whole_walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts Bokeh's walks of a whole document."""
    walks: list[int] = []
    walk = DocumentModelManager.recompute

    def counted(self: DocumentModelManager) -> None:
        walks.append(len(self))
        walk(self)

    monkeypatch.setattr(DocumentModelManager, "recompute", counted)
    return walks
