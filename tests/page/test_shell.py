"""The page's header: static words only; the changing state is the status line's."""

from __future__ import annotations

import itertools
import math

import pytest
from bokeh.core.validation.check import check_integrity
from bokeh.document import Document
from panel.io.state import set_curdoc

from app.ingestion.process import Ingestion
from app.options import DashboardOptions
from app.page.shell import build_page, page_title
from app.sources import Message, SimulatedInstrument, SourceStatus


class _CountingSource:
    """A source whose description changes, like Kafka's skipped count."""

    def __init__(self) -> None:
        self.skipped = 4

    def get_messages(self) -> list[Message]:
        return []

    def close(self) -> None:
        pass

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(
            connected=True,
            description=f"kafka broker:9092: connected, {self.skipped} "
            "undecodable skipped",
        )


def test_header_names_the_source_without_its_changing_state() -> None:
    source = _CountingSource()
    options = DashboardOptions(source="kafka", bootstrap_servers="broker:9092")
    session, page = build_page(Ingestion(source, ingest_period_s=1.0), options)
    try:
        assert page.title == "kafka broker:9092"
        assert "undecodable" not in page.title
    finally:
        session.close(None)


def test_header_is_the_title_option_when_given() -> None:
    options = DashboardOptions(title="DREAM", source="kafka")
    assert page_title(options) == "DREAM"
    assert page_title(DashboardOptions()) == "simulated instrument"


def test_header_of_a_replay_says_replay_and_its_speed() -> None:
    replay = DashboardOptions(source="replay", replay_path="shift", replay_speed=10.0)
    fastest = DashboardOptions(
        source="replay", replay_path="shift", replay_speed=math.inf, title="DREAM"
    )

    assert page_title(replay) == "replay of shift · REPLAY 10x"
    assert page_title(fastest) == "DREAM · REPLAY max"


def test_a_whole_page_built_passes_bokehs_integrity_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Served, Bokeh no longer checks every page's models on every request
    # (app/process_start.py): the pages the dashboard builds are checked here,
    # the template, the sidebar and every kind of plot included.
    ticks = itertools.count()
    instrument = SimulatedInstrument(
        seed=1, rate_hz=5.0, clock=lambda: 1_700_000_000 * 10**9 + next(ticks) * 10**8
    )
    ingestion = Ingestion(instrument, ingest_period_s=1.0, max_batch_seconds=3600.0)
    ingestion.orchestrator.update()
    document = Document()
    later: list = []
    monkeypatch.setattr(document, "add_next_tick_callback", later.append)
    with set_curdoc(document):
        session, page = build_page(ingestion, DashboardOptions())
        page.server_doc(document)
        session.start()
    try:
        while later:
            later.pop(0)()
        kinds = {type(plotter).__name__ for plotter in session.plotters}
        assert {"ImagePlotter", "LinePlotter", "SlidingWindowPlotter"} <= kinds
        issues = check_integrity(list(document.models))
        assert (issues.error, issues.warning) == ([], [])
    finally:
        session.close(None)


REQUEST_MODELS = 29
"""What a page's request makes, counted: the sidebar's first parts (access
warning, pill, status, in one column), the main column's notes and their
scripts. 39 with Panel's template and the grid's empty rows (decisions 106,
107); one more since the sidebar's three Panel panes became one, which
costs the request less (decision 064)."""


def test_a_pages_request_makes_only_what_says_how_things_stand() -> None:
    # The request holds the server's loop: no other session draws meanwhile
    # (decision 064). The frame is HTML and rows come with their cards.
    instrument = SimulatedInstrument(seed=1, rate_hz=5.0)
    ingestion = Ingestion(instrument, ingest_period_s=1.0, max_batch_seconds=3600.0)
    ingestion.orchestrator.update()
    document = Document()
    with set_curdoc(document):
        session, page = build_page(ingestion, DashboardOptions())
        page.server_doc(document)
    template_or_rows = ("ReactiveHTML", "FlexBox", "Location", "TemplateActions")
    kinds = {type(model).__name__ for model in document.models}
    assert not [kind for kind in kinds if kind.startswith(template_or_rows)]
    assert len(document.models) <= REQUEST_MODELS
    assert session.grid.rows == {}
