"""How fast a process's sessions draw: fast while drawing takes little of the
loop and the browser keeps up, at the operator's period otherwise."""

from __future__ import annotations

from app.page.frame_clock import KEEPS_UP_S, SKIPS_TOLERATED, FrameClock
from app.page.frame_pace import AVERAGE_S, FAST_BELOW, SLOW_ABOVE, FramePace


class HandTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def draw_for(pace: FramePace, time: HandTime, share: float, seconds: float) -> None:
    """Draw frames of 10 ms taking `share` of the loop for `seconds`."""
    frames = round(seconds * share / 0.01)
    for _ in range(frames):
        time.now += 0.01 / share
        pace.drew(0.01)


def test_the_busy_share_is_the_share_of_time_spent_drawing() -> None:
    time = HandTime()
    pace = FramePace(time)
    draw_for(pace, time, 0.3, 10 * AVERAGE_S)
    assert abs(pace.busy() - 0.3) < 0.02


def test_a_quiet_process_draws_fast_and_a_crowded_one_slowly() -> None:
    time = HandTime()
    pace = FramePace(time)
    assert pace.fast()
    draw_for(pace, time, SLOW_ABOVE + 0.1, 10 * AVERAGE_S)
    assert not pace.fast()


def test_the_pace_does_not_flap_between_the_two_thresholds() -> None:
    time = HandTime()
    pace = FramePace(time)
    draw_for(pace, time, 0.8, 10 * AVERAGE_S)
    assert not pace.fast()
    middle = (FAST_BELOW + SLOW_ABOVE) / 2
    draw_for(pace, time, middle, 10 * AVERAGE_S)
    assert not pace.fast(), "slow stays slow inside the band"
    draw_for(pace, time, FAST_BELOW / 2, 10 * AVERAGE_S)
    assert pace.fast()
    draw_for(pace, time, middle, 10 * AVERAGE_S)
    assert pace.fast(), "fast stays fast inside the band"


def test_a_session_draws_at_the_fast_period_while_the_process_has_room() -> None:
    time = HandTime()
    clock = FrameClock(
        lambda: None, 0.2, fast_period_s=0.1, pace=FramePace(time), clock=time
    )
    assert clock.period() == 0.1


def test_a_crowded_process_draws_at_the_operators_period() -> None:
    time = HandTime()
    pace = FramePace(time)
    draw_for(pace, time, 0.9, 10 * AVERAGE_S)
    clock = FrameClock(lambda: None, 0.2, fast_period_s=0.1, pace=pace, clock=time)
    assert clock.period() == 0.2


def late(clock: FrameClock, time: HandTime, slots: float) -> None:
    """A frame goes out; the next is due while the browser has not shown it,
    and still `slots` slots of the period later; then the browser shows it,
    and the next frame at once."""
    clock._running = True  # as started, without a document to schedule on
    clock.stamp()
    time.now += 0.2
    clock._frame()  # the previous frame is not acknowledged: held
    time.now += 0.2 * slots
    clock._frame()
    clock._running = False  # the acknowledgement's frame is not drawn here
    clock._on_acknowledged("tags", [], [clock.stats.sent])
    clock.stamp()  # that frame, shown at once: the browser keeps up again
    clock._on_acknowledged("tags", [], [clock.stats.sent])


def skip_one(clock: FrameClock, time: HandTime) -> None:
    """A frame's slot passes while the browser has not shown the previous one."""
    late(clock, time, slots=1)


def test_a_browser_that_skips_frames_draws_slowly_for_a_while() -> None:
    time = HandTime()
    clock = FrameClock(
        lambda: None, 0.2, fast_period_s=0.1, pace=FramePace(time), clock=time
    )
    for _ in range(SKIPS_TOLERATED):
        skip_one(clock, time)
    assert clock.period() == 0.1, "a late acknowledgement now and then is no matter"
    skip_one(clock, time)
    assert clock.stats.skipped == SKIPS_TOLERATED + 1
    assert clock.period() == 0.2
    time.now += KEEPS_UP_S / 2
    assert clock.period() == 0.2
    time.now += KEEPS_UP_S / 2
    assert clock.period() == 0.1


def test_an_acknowledgement_late_within_the_slot_skips_nothing() -> None:
    # A loaded browser acknowledging a little late now and then got every
    # slot's frame: counted as skips, it was sent to the slow period.
    time = HandTime()
    clock = FrameClock(
        lambda: None, 0.2, fast_period_s=0.1, pace=FramePace(time), clock=time
    )
    for _ in range(5 * SKIPS_TOLERATED):
        late(clock, time, slots=0.9)
    assert clock.stats.skipped == 0
    assert clock.stats.behind_s == 0
    assert clock.period() == 0.1


def test_waits_while_the_browser_builds_new_plots_are_not_skips() -> None:
    # A page opened (or grown) by a dozen plots takes the browser a second or
    # two: counted as skips, every new page drew slowly for its first 10 s.
    time = HandTime()
    clock = FrameClock(
        lambda: None, 0.2, fast_period_s=0.1, pace=FramePace(time), clock=time
    )
    clock._running = True
    clock.stamp()  # a frame before the plots
    clock.grew()
    clock.stamp()  # and one after them
    clock._on_acknowledged("tags", [], [1])  # only the frame before is shown
    for _ in range(10):
        time.now += 0.2
        clock._frame()
    assert clock.stats.skipped == 0
    assert clock.period() == 0.1
    clock._running = False  # the acknowledgement's frame is not drawn here
    clock._on_acknowledged("tags", [], [clock.stats.sent])  # the plots are shown
    clock._running = True
    clock.stamp()
    for _ in range(2):
        time.now += 0.2
        clock._frame()
    assert clock.stats.skipped == 1, "once built, a whole slot missed is a skip"


def test_without_a_fast_period_the_period_is_fixed() -> None:
    time = HandTime()
    clock = FrameClock(lambda: None, 0.2, pace=FramePace(time), clock=time)
    assert clock.period() == 0.2
    clock = FrameClock(lambda: None, 0.2, fast_period_s=0.5, clock=time)
    assert clock.period() == 0.2, "never slower than the operator's period"
