"""The page's header: static words only; the changing state is the status line's."""

from __future__ import annotations

import math

from app.ingestion.process import Ingestion
from app.options import DashboardOptions
from app.page.shell import build_page, page_title
from app.sources import Message, SourceStatus


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
