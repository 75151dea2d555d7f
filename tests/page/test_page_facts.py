"""Tests of app/page/page_facts.py: facts read once per period for every page."""

import itertools
from dataclasses import replace

import pytest

from app.ingestion.key_activity import KeyActivity
from app.ingestion.process import Ingestion
from app.options import DashboardOptions
from app.page.page_facts import FACTS_PERIOD_NS, PageFacts, page_facts
from app.page.session import DashboardSession
from app.page.status import Health
from app.sources import SimulatedInstrument
from tests.ingestion.test_orchestrator import ListSource
from tests.page.test_session import scalar_log

T0_NS = 1_790_000_000_000_000_000
SESSIONS = 5


@pytest.fixture
def ingestion() -> Ingestion:
    ticks = itertools.count()
    instrument = SimulatedInstrument(
        seed=1, rate_hz=5.0, clock=lambda: T0_NS + next(ticks) * 200_000_000
    )
    ingestion = Ingestion(instrument, ingest_period_s=1.0, max_batch_seconds=3600.0)
    ingestion.orchestrator.update()
    return ingestion


def test_the_facts_of_a_period_are_read_once_for_every_session(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = []
    snapshot = ingestion.snapshot
    monkeypatch.setattr(ingestion, "snapshot", lambda: reads.append(1) or snapshot())
    memory_reads = []
    memory_stats = ingestion.data_service.memory_stats
    monkeypatch.setattr(
        ingestion.data_service,
        "memory_stats",
        lambda: memory_reads.append(1) or memory_stats(),
    )
    now_ns = [(T0_NS // FACTS_PERIOD_NS + 10) * FACTS_PERIOD_NS]
    sessions = [
        DashboardSession(ingestion, DashboardOptions(), clock_ns=lambda: now_ns[0])
        for _ in range(SESSIONS)
    ]
    facts = page_facts(ingestion)
    details = facts.key_details
    keys = len(ingestion.data_service.catalog())
    try:
        for session in sessions:
            session.start()
        computed, described = facts.computed, details.computed
        now_ns[0] += 2 * FACTS_PERIOD_NS
        for _ in range(3):  # every session draws three frames in one period
            for session in sessions:
                session.draw_frame()
        assert facts.computed == computed + 1
        assert details.computed == described + keys
        assert len(reads) == len(memory_reads) == facts.computed

        now_ns[0] += FACTS_PERIOD_NS  # the next period: read once more
        for session in sessions:
            session.draw_frame()
        assert facts.computed == computed + 2
        assert details.computed == described + 2 * keys
    finally:
        for session in sessions:
            session.close(None)


def test_every_session_sees_the_same_status_pill_and_key_details(
    ingestion: Ingestion,
) -> None:
    now_ns = [(T0_NS // FACTS_PERIOD_NS + 10) * FACTS_PERIOD_NS]
    sessions = [
        DashboardSession(ingestion, DashboardOptions(), clock_ns=lambda: now_ns[0])
        for _ in range(SESSIONS)
    ]
    try:
        for session in sessions:
            session.start()
        ingestion.orchestrator.update()
        now_ns[0] += 2 * FACTS_PERIOD_NS
        for session in sessions:
            session.draw_frame()
        statuses = {session.status.div.text for session in sessions}
        assert len(statuses) == 1
        assert f"{SESSIONS} sessions" in statuses.pop()
        assert {session.pill.div.text for session in sessions} == {
            sessions[0].pill.div.text
        }
        assert sessions[0].pill.health.state == "live"
        shown = sessions[0].browser.details
        assert len(shown) == len(ingestion.data_service.catalog())
        assert all(session.browser.details == shown for session in sessions)
        assert "image · counts · " in shown["detector/panel_0"]
    finally:
        for session in sessions:
            session.close(None)


def test_a_stale_key_turns_only_the_pills_of_the_sessions_that_show_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now_ns = [T0_NS]
    ingestion = Ingestion(ListSource([]), ingest_period_s=1.0)
    activity = KeyActivity(ingestion.data_service, clock_ns=lambda: now_ns[0])
    monkeypatch.setattr(ingestion, "activity", activity)
    activity["log/quiet"] = scalar_log(1.0)
    activity["log/busy"] = scalar_log(1.0)
    clock = {"clock_ns": lambda: now_ns[0]}
    only = DashboardOptions(keys=("log/busy",))
    busy_only = DashboardSession(ingestion, only, **clock)
    both = DashboardSession(ingestion, DashboardOptions(), **clock)
    now_ns[0] += 60 * 1_000_000_000
    activity["log/busy"] = scalar_log(2.0)  # the other key went quiet
    busy_only.draw_frame()
    both.draw_frame()
    assert busy_only.pill.health.state == "live"
    assert both.pill.health == Health("degraded", "1 stale: log/quiet")


def test_the_message_rate_is_measured_over_at_least_half_a_period(
    ingestion: Ingestion, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Facts are read when a period is first asked for: two reads either side
    # of a period's start can be milliseconds apart, with no message between.
    counters = iter([(0.0, 0), (1.0, 5), (1.02, 5), (2.0, 10), (2.01, 10)])
    snapshot = ingestion.snapshot

    def read():
        at_s, applied = next(counters)
        return replace(snapshot(), at_ns=round(at_s * 1e9), applied=applied)

    monkeypatch.setattr(ingestion, "snapshot", read)
    facts = PageFacts(ingestion)
    rates = [
        facts.at(T0_NS + period * FACTS_PERIOD_NS).status_text.split(" · ")[0]
        for period in range(5)
    ]
    assert rates == ["- msg/s", "5.0 msg/s", "5.0 msg/s", "5.0 msg/s", "5.0 msg/s"]
