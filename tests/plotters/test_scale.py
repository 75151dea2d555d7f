import numpy as np
import pytest

from app.plotters.scale import SHRINK_AFTER_NS, AutoRange, extent_of

SECOND_NS = 1_000_000_000


def test_extent_ignores_nan_inf_and_on_log_scale_non_positive_values() -> None:
    values = np.array([np.nan, -3.0, 0.0, 2.0, np.inf, 8.0])
    assert extent_of(values, log=False) == (-3.0, 8.0)
    assert extent_of(values, log=True) == (2.0, 8.0)
    assert extent_of(np.array([np.nan, -1.0]), log=True) is None


def test_auto_range_grows_at_once_when_data_leaves_it() -> None:
    auto = AutoRange()
    assert auto.update((0.0, 10.0), 0) == pytest.approx((-0.5, 10.5))
    assert auto.update((5.0, 20.0), 1) == pytest.approx((-0.5, 21.0))


def test_auto_range_stays_put_while_data_moves_within_it() -> None:
    auto = AutoRange()
    first = auto.update((0.0, 10.0), 0)
    rng = np.random.default_rng(0)
    for frame in range(1, 200):
        low, high = rng.uniform(0.0, 1.0), rng.uniform(9.0, 10.0)
        assert auto.update((low, high), frame * SECOND_NS // 5) == first


def test_auto_range_shrinks_once_recent_data_used_under_half_for_five_seconds() -> None:
    auto = AutoRange()
    wide = auto.update((0.0, 100.0), 0)
    # The data narrows to 40-50: the range holds for SHRINK_AFTER_NS, then shrinks.
    assert auto.update((40.0, 50.0), SHRINK_AFTER_NS - 1) == wide
    assert auto.update((40.0, 50.0), SHRINK_AFTER_NS) == wide
    assert auto.update((40.0, 50.0), 2 * SHRINK_AFTER_NS) == pytest.approx((39.5, 50.5))


def test_log_auto_range_works_in_decades() -> None:
    auto = AutoRange(log=True)
    low, high = auto.update((1.0, 1000.0), 0)
    assert low == pytest.approx(10**-0.15)
    assert high == pytest.approx(10**3.15)
    assert auto.update((-5.0, 10.0), 1) == (low, high)
