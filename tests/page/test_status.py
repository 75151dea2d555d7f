from dataclasses import replace

import numpy as np
import scipp as sc

from app.ingestion.alarms import ALARM, WARN, AlarmsView, KeyAlarm
from app.ingestion.process import Ingestion, IngestionSnapshot
from app.page.status import (
    ALARMED,
    AMBER,
    FRAMES_SKIPPED,
    GREEN,
    RED,
    Health,
    LossWindow,
    StatusLine,
    StatusPill,
    format_bytes,
    health,
    loss_totals,
)
from app.sources import SourceStatus
from app.sources.reasons import DROPPED_BEHIND, OFFSET_RESET, Reason
from tests.ingestion.test_orchestrator import ListSource, msg

S = 1_000_000_000


def snapshot(at_s: float, applied: int, connected: bool = True) -> IngestionSnapshot:
    return IngestionSnapshot(
        at_ns=int(at_s * 1e9),
        applied=applied,
        rejected=2,
        source=SourceStatus(connected=connected, description="kafka 127.0.0.1:9092"),
        memory_bytes=1_500_000,
        subscribers=11,
        sessions=1,
        process=4321,
    )


def test_status_line_shows_rate_rejects_source_and_memory() -> None:
    status = StatusLine()
    status.update(snapshot(10.0, applied=100))
    assert status.div.text.startswith("- msg/s")
    status.update(snapshot(12.0, applied=130))
    assert status.div.text == (
        "15.0 msg/s · 2 rejected · kafka 127.0.0.1:9092 (connected) · "
        "buffers 1.4 MiB · 1 sessions · 11 subscribers · process 4321"
    )


def test_status_line_says_when_source_is_not_connected() -> None:
    status = StatusLine()
    status.update(snapshot(1.0, applied=0, connected=False))
    assert "(not connected)" in status.div.text


def test_byte_counts_read_in_binary_units_like_the_budgets_they_are_set_in() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1_536) == "1.5 KiB"
    assert format_bytes(2**30) == "1.0 GiB"
    assert format_bytes(3 * 2**40) == "3.0 TiB"


def test_health_is_amber_not_red_while_part_of_the_source_is_down() -> None:
    impaired = replace(
        snapshot(1.0, applied=0),
        source=SourceStatus(
            connected=True,
            description="kafka b:9092: topic 'logs' does not exist",
            impaired="topic 'logs' does not exist",
        ),
    )
    judged = health(impaired, stale_keys=(), lost_lately={})
    assert judged.state == AMBER
    assert judged.reason == "part of the source down: topic 'logs' does not exist"


def test_health_is_red_when_the_source_is_down_amber_when_anything_lags() -> None:
    down = snapshot(1.0, applied=0, connected=False)
    assert health(down, stale_keys=(), lost_lately={}).state == RED
    up = snapshot(1.0, applied=0)
    assert health(up, stale_keys=(), lost_lately={}).state == GREEN
    stale = health(up, stale_keys=("a", "b", "c", "d"), lost_lately={})
    assert stale.state == AMBER
    assert stale.reason == "4 stale: a, b, c ..."
    trimmed = health(up, stale_keys=(), lost_lately={}, truncated_keys=2)
    assert trimmed.state == AMBER


def test_health_is_amber_with_every_reason_for_what_was_lost_lately() -> None:
    up = snapshot(1.0, applied=0)
    lost = health(up, stale_keys=(), lost_lately={"dropped behind": 10, "x": 2})
    assert lost.state == AMBER
    assert lost.reason == "lost in the last 30 s: 10 dropped behind, 2 x"


def test_records_passed_over_by_an_offset_reset_turn_the_pill_amber_saying_so() -> None:
    up = replace(
        snapshot(1.0, applied=0),
        source=SourceStatus(
            connected=True, description="kafka", lost={OFFSET_RESET: 1200}
        ),
    )
    window = LossWindow()
    window.recent(0, {})
    judged = health(up, stale_keys=(), lost_lately=window.recent(S, loss_totals(up)))
    assert judged == Health(
        AMBER, "lost in the last 30 s: 1200 skipped by an offset reset"
    )


def test_a_browser_that_skips_a_few_frames_keeps_the_pill_green() -> None:
    up = snapshot(1.0, applied=0)
    few = health(up, stale_keys=(), lost_lately={FRAMES_SKIPPED: 10})
    assert few.state == GREEN
    many = health(up, stale_keys=(), lost_lately={FRAMES_SKIPPED: 11, "x": 1})
    assert many == Health(
        AMBER, "lost in the last 30 s: 11 frames skipped by this browser, 1 x"
    )


def test_a_source_down_is_red_whatever_else_was_lost() -> None:
    down = snapshot(1.0, applied=0, connected=False)
    judged = health(down, stale_keys=("a",), lost_lately={"dropped behind": 1})
    assert judged == Health(RED, "source down: kafka 127.0.0.1:9092")


def test_loss_totals_add_source_losses_rejected_messages_and_skipped_frames() -> None:
    lost = {str(Reason.MALFORMED_DA00): 3, DROPPED_BEHIND: 7}
    source = SourceStatus(connected=True, description="kafka", lost=lost)
    rejects = {str(Reason.INVALID_KEY): 2, str(Reason.MALFORMED_DA00): 1}
    counters = replace(snapshot(1.0, applied=0), source=source, rejects=rejects)
    assert loss_totals(counters, frames_skipped=4) == {
        "malformed da00": 4,
        "dropped behind": 7,
        "invalid key": 2,
        FRAMES_SKIPPED: 4,
    }
    assert FRAMES_SKIPPED not in loss_totals(counters)


def test_losses_count_within_the_last_thirty_seconds_only() -> None:
    window = LossWindow()
    assert window.recent(0, {"dropped behind": 5}) == {}
    assert window.recent(10 * S, {"dropped behind": 8, "unknown schema": 1}) == {
        "dropped behind": 3,
        "unknown schema": 1,
    }
    assert window.recent(20 * S, {"dropped behind": 8, "unknown schema": 1}) == {
        "dropped behind": 3,
        "unknown schema": 1,
    }
    # The reading at 10 s, the first to hold them, is now older than 30 s.
    assert window.recent(41 * S, {"dropped behind": 8, "unknown schema": 1}) == {}


def test_losses_are_listed_largest_first() -> None:
    window = LossWindow()
    window.recent(0, {})
    assert list(window.recent(S, {"a": 1, "b": 5, "c": 3})) == ["b", "c", "a"]


def test_the_pill_shows_state_and_reason_with_the_reason_on_hover() -> None:
    pill = StatusPill()
    pill.show(Health(RED, "source down: <kafka>"))
    assert "DOWN" in pill.div.text
    assert "#d62728" in pill.div.text
    assert 'title="source down: &lt;kafka&gt;"' in pill.div.text


def test_histories_restarted_by_values_that_no_longer_fit_reach_the_pill() -> None:
    def spectrum(bins: int) -> sc.DataArray:
        return sc.DataArray(sc.array(dims=["tof"], values=np.zeros(bins)))

    batch = [msg("monitor", spectrum(3 + i % 2)) for i in range(6)]
    # One update applies the whole batch, however busy the machine.
    ingestion = Ingestion(
        ListSource(batch), ingest_period_s=1.0, max_batch_seconds=3600.0
    )
    window = LossWindow()
    window.recent(0, loss_totals(ingestion.snapshot()))  # the page opens
    ingestion.orchestrator.update()
    counters = ingestion.snapshot()
    assert counters.restarted == 5
    lost = window.recent(S, loss_totals(counters))
    judged = health(counters, stale_keys=(), lost_lately=lost)
    assert judged == Health(AMBER, "lost in the last 30 s: 5 histories restarted")


def test_a_replay_says_replay_and_its_speed_in_place_of_live() -> None:
    replay = replace(
        snapshot(1.0, applied=1),
        source=SourceStatus(
            connected=True, description="replay 10x of shift", replay="REPLAY 10x"
        ),
    )

    judged = health(replay, stale_keys=(), lost_lately={})
    pill = StatusPill()
    pill.show(judged)

    assert judged.state == GREEN
    assert "REPLAY 10x" in pill.div.text
    assert "LIVE" not in pill.div.text
    assert "live" not in judged.reason


def test_a_key_in_alarm_turns_the_pill_red_naming_key_value_and_limit() -> None:
    alarms = AlarmsView(
        active={
            "log/t": KeyAlarm("log/t", ALARM, 306.0, "alarm_high 305", 0),
            "log/p": KeyAlarm("log/p", WARN, 99.0, "warn_low 100", 0),
        }
    )
    up = snapshot(1.0, applied=0)
    alarmed = health(up, stale_keys=(), lost_lately={}, alarms=alarms)
    assert alarmed.state == ALARMED
    assert alarmed.reason == (
        "alarm: log/t 306 (alarm_high 305); warn: log/p 99 (warn_low 100)"
    )
    warned = AlarmsView(active={"log/p": alarms.active["log/p"]})
    assert health(up, stale_keys=(), lost_lately={}, alarms=warned).state == AMBER
    # No data can arrive: that is said first.
    down = snapshot(1.0, applied=0, connected=False)
    assert health(down, stale_keys=(), lost_lately={}, alarms=alarms).state == RED
    pill = StatusPill()
    pill.show(alarmed)
    assert ">ALARM<" in pill.div.text
