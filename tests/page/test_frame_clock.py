"""When a session's frame may be drawn: at once for new data, one per period."""

import math

import numpy as np
import pytest

from app.page.frame_clock import MIN_GAP_PERIODS, frame_due

PERIOD = 0.2


def test_the_first_frame_is_drawn_at_once() -> None:
    assert frame_due(12.345, -math.inf, PERIOD) == 12.345


def test_data_in_a_period_without_a_frame_is_drawn_at_once() -> None:
    # 0.15 s after the last frame, but in the next period: no wait.
    assert frame_due(10.21, 10.06, PERIOD) == 10.21


def test_a_second_frame_in_the_same_period_waits_for_the_next_period() -> None:
    assert frame_due(10.15, 10.01, PERIOD) == pytest.approx(10.2)


def test_two_frames_are_never_closer_than_half_a_period() -> None:
    assert frame_due(10.2, 10.19, PERIOD) == pytest.approx(10.29)


def test_random_arrivals_get_at_most_one_frame_per_period_and_wait_under_one() -> None:
    rng = np.random.default_rng(1)
    arrivals = 1000.0 + np.cumsum(rng.uniform(0.0, 2.0, 5000) * PERIOD)
    frames: list[float] = []
    waits = []
    for arrival in arrivals:
        if frames and frames[-1] >= arrival:
            waits.append(frames[-1] - arrival)  # joins the frame already due
            continue
        due = frame_due(arrival, frames[-1] if frames else -math.inf, PERIOD)
        frames.append(due)
        waits.append(due - arrival)
    slots = [math.floor(t / PERIOD + 1e-9) for t in frames]
    assert len(set(slots)) == len(slots), "a period held two frames"
    assert min(np.diff(frames)) >= MIN_GAP_PERIODS * PERIOD - 1e-9
    assert max(waits) <= PERIOD + 1e-9
    # Data at the frame rate on average mostly finds a period without a frame.
    assert np.median(waits) < 0.1 * PERIOD
