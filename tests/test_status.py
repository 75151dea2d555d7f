from app.ingestion import IngestionSnapshot
from app.sources import SourceStatus
from app.status import (
    AMBER,
    GREEN,
    RED,
    Health,
    StatusLine,
    StatusPill,
    format_bytes,
    health,
)


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
        "buffers 1.5 MB · 1 sessions · 11 subscribers · process 4321"
    )


def test_status_line_says_when_source_is_not_connected() -> None:
    status = StatusLine()
    status.update(snapshot(1.0, applied=0, connected=False))
    assert "(not connected)" in status.div.text


def test_byte_counts_read_like_people_write_them() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1_500) == "1.5 kB"
    assert format_bytes(3_000_000_000_000) == "3000.0 GB"


def test_health_is_red_when_the_source_is_down_amber_when_anything_lags() -> None:
    down = snapshot(1.0, applied=0, connected=False)
    assert health(down, stale_keys=(), rejected_lately=0).state == RED
    up = snapshot(1.0, applied=0)
    assert health(up, stale_keys=(), rejected_lately=0).state == GREEN
    stale = health(up, stale_keys=("a", "b", "c", "d"), rejected_lately=0)
    assert stale.state == AMBER
    assert stale.reason == "4 stale: a, b, c ..."
    rejected = health(up, stale_keys=(), rejected_lately=3)
    assert rejected.reason == "3 records rejected in the last minute"
    trimmed = health(up, stale_keys=(), rejected_lately=0, truncated_keys=2)
    assert trimmed.state == AMBER


def test_the_pill_counts_rejects_of_the_last_minute_only() -> None:
    pill = StatusPill()
    assert pill.rejected_lately(0, 5) == 0
    assert pill.rejected_lately(30 * 10**9, 8) == 3
    assert pill.rejected_lately(61 * 10**9, 8) == 0
    pill.show(Health(RED, "source down: <kafka>"))
    assert "DOWN" in pill.div.text
    assert "&lt;kafka&gt;" in pill.div.text
