"""Tests of alarm limits: the limits file, its messages, and what persists."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.alarm_limits import (
    AlarmLimits,
    AlarmLimitsError,
    merged_limits,
    parse_limits_file,
    read_limits_file,
)

GOOD = """\
# the sample environment
{"key": "log/sample_temperature", "warn_high": 300, "alarm_high": 305, "deadband": 0.5}

{"key": "log/proton_current", "alarm_low": 100, "grace_s": 5, "stale_s": 30}
"""


def test_a_limits_file_sets_each_keys_limits_and_skips_comments() -> None:
    limits = parse_limits_file(GOOD)
    assert limits == {
        "log/sample_temperature": AlarmLimits(
            warn_high=300.0, alarm_high=305.0, deadband=0.5
        ),
        "log/proton_current": AlarmLimits(alarm_low=100.0, grace_s=5.0, stale_s=30.0),
    }


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"key": "t", "alarm_hihg": 5}', "key 't': unknown field 'alarm_hihg'"),
        ('{"key": "t", "alarm_high": "5"}', "'alarm_high': must be a number"),
        ('{"alarm_high": 5}', "field 'key': must be a non-empty string"),
        (
            '{"key": "t", "warn_high": 6, "alarm_high": 5}',
            "key 't': field 'alarm_high': 5.0 must lie above warn_high 6.0",
        ),
        ('{"key": "t", "grace_s": -1}', "field 'grace_s': must not be negative"),
        ('{"key": "t", "stale_s": 0}', "field 'stale_s': must be positive"),
        (
            '{"key": "t", "warn_low": 5, "warn_high": 5}',
            "field 'warn_high': 5.0 must lie above warn_low 5.0",
        ),
        ('["t"]', "not a JSON object"),
        ('{"key": "t", ', "not a JSON object"),
        ('{"key": "log/t"}', "field 'key': 'log/t' is set twice"),
    ],
)
def test_a_line_that_does_not_fit_is_refused_naming_the_line_and_field(
    line: str, message: str
) -> None:
    text = '{"key": "log/t", "alarm_high": 305}\n' + line
    with pytest.raises(AlarmLimitsError) as raised:
        parse_limits_file(text, "limits.jsonl")
    assert str(raised.value).startswith("limits.jsonl line 2: ")
    assert message in str(raised.value)


def test_a_limits_file_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    with pytest.raises(AlarmLimitsError, match=r"limits file .*missing\.jsonl"):
        read_limits_file(tmp_path / "missing.jsonl")


def test_limits_set_on_the_page_replace_the_files_for_their_key() -> None:
    from_file = parse_limits_file(GOOD)
    shared = {
        "log/sample_temperature": {"alarm_high": 310.0},
        "log/proton_current": {},  # cleared by an operator
        "broken": {"alarm_high": "x"},
    }
    assert merged_limits(from_file, shared) == {
        "log/sample_temperature": AlarmLimits(alarm_high=310.0)
    }


def test_limits_round_trip_through_their_json_fields() -> None:
    limits = AlarmLimits(warn_low=1.0, alarm_high=5.0, stale_s=3.0, grace_s=2.0)
    assert limits.as_json() == {
        "warn_low": 1.0,
        "alarm_high": 5.0,
        "stale_s": 3.0,
        "grace_s": 2.0,
    }
    assert merged_limits({}, {"k": limits.as_json()}) == {"k": limits}
    assert limits.describe() == "warn < 1, alarm > 5, no data 3 s"
