"""Tests of the arrivals per key, rates, ages and staleness."""

from app.data import DataService
from app.ingestion.key_activity import KeyActivity

S = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_000 * S

    def __call__(self) -> int:
        return self.now


def test_every_value_reaches_the_service_and_is_counted_per_key() -> None:
    service = DataService()
    clock = Clock()
    activity = KeyActivity(service, clock)
    with activity.transaction():
        for i in range(5):
            activity["a"] = i
            clock.now += S // 2
    activity["b"] = 1
    assert service["a"] == 4
    assert service["b"] == 1
    assert activity.get("a").count == 5
    assert activity.get("b").count == 1
    assert activity.get("c") is None


def test_rate_follows_the_usual_interval_and_drops_to_zero_once_stale() -> None:
    clock = Clock()
    activity = KeyActivity(DataService(), clock)
    for _ in range(20):
        activity["a"] = 1.0
        clock.now += S // 4
    arrival = activity.get("a")
    assert abs(arrival.rate_hz(clock.now) - 4.0) < 1e-6
    assert not arrival.stale(clock.now)
    assert arrival.stale(clock.now + 6 * S)
    assert arrival.rate_hz(clock.now + 6 * S) == 0.0


def test_a_slow_key_is_stale_only_after_five_of_its_intervals() -> None:
    clock = Clock()
    activity = KeyActivity(DataService(), clock)
    for _ in range(3):
        activity["slow"] = 1.0
        clock.now += 10 * S
    arrival = activity.get("slow")
    assert not arrival.stale(arrival.last_ns + 40 * S)
    assert arrival.stale(arrival.last_ns + 51 * S)
