"""Tests of app/staleness.py: one rule for stale plots, keys and the pill."""

import pytest

from app.data import DataService
from app.ingestion.key_activity import KeyActivity
from app.plotters import LinePlotter
from app.staleness import is_stale, stale_after_ns
from tests.plotters.plotter_frames import PERIOD_NS, T0_NS, spectrum

S = 1_000_000_000


@pytest.mark.parametrize(
    ("usual_s", "limit_s"),
    [(None, 5.0), (0.0, 5.0), (0.1, 5.0), (1.0, 5.0), (2.0, 10.0), (60.0, 300.0)],
)
def test_a_value_may_age_five_seconds_or_five_usual_intervals_whichever_is_longer(
    usual_s: float | None, limit_s: float
) -> None:
    usual_ns = None if usual_s is None else usual_s * S
    assert stale_after_ns(usual_ns) == limit_s * S
    assert not is_stale(limit_s * S, usual_ns)
    assert is_stale(limit_s * S + 1, usual_ns)


class Clock:
    def __init__(self, now_ns: int) -> None:
        self.now = now_ns

    def __call__(self) -> int:
        return self.now


@pytest.mark.parametrize(("every_s", "quiet_s"), [(0.2, 4.0), (10.0, 45.0)])
def test_a_plot_and_its_key_turn_stale_at_the_same_age(
    every_s: float, quiet_s: float
) -> None:
    service = DataService()
    plotter = LinePlotter("monitor/m1")
    plotter.subscribe(service)
    clock = Clock(T0_NS)
    activity = KeyActivity(service, clock)
    step = round(every_s * S / PERIOD_NS)
    for index in range(0, 10 * step, step):
        clock.now = T0_NS + index * PERIOD_NS
        activity["monitor/m1"] = spectrum(index)
        plotter.draw(now_ns=clock.now)
    limit_ns = stale_after_ns(every_s * S)
    assert limit_ns > quiet_s * S
    for age_ns in (quiet_s * S, limit_ns - S // 10, limit_ns + S // 10, 10 * limit_ns):
        now_ns = int(clock.now + age_ns)
        plotter.draw(now_ns=now_ns)
        arrival = activity.get("monitor/m1")
        assert plotter.stale == arrival.stale(now_ns) == (age_ns > limit_ns)
