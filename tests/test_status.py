from app.ingestion import IngestionSnapshot
from app.sources import SourceStatus
from app.status import StatusLine, format_bytes


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
