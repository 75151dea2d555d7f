"""Tests of app/sources/lookback.py: where a new consumer starts a partition."""

from __future__ import annotations

import pytest

from app.sources.lookback import LookBack


def test_start_is_capped_by_records_before_the_end() -> None:
    assert LookBack(records=1000).start_offset(0, 100_000, None) == 99_000


def test_start_never_precedes_the_oldest_offset() -> None:
    assert LookBack(records=1000).start_offset(500, 800, None) == 500


def test_start_follows_the_first_recent_record_when_the_broker_names_it() -> None:
    assert LookBack(records=1000).start_offset(0, 100_000, 99_900) == 99_900
    assert LookBack(records=10).start_offset(0, 100_000, 5) == 99_990


def test_cutoff_is_lookback_seconds_before_now() -> None:
    assert LookBack(seconds=3600).cutoff_ms(10_000_000) == 10_000_000 - 3_600_000


def test_zero_seconds_or_records_is_live_only() -> None:
    assert LookBack(seconds=0).live_only
    assert LookBack(records=0).live_only
    assert not LookBack().live_only


def test_negative_lookback_is_refused() -> None:
    with pytest.raises(ValueError, match="seconds"):
        LookBack(seconds=-1)
    with pytest.raises(ValueError, match="records"):
        LookBack(records=-1)
