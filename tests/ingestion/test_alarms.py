"""Tests of the alarm states: bounds, hysteresis, grace, silence, acknowledgement."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import scipp as sc

from app.alarm_limits import LIMITS_STATE, AlarmLimits
from app.data import DataService
from app.ingestion.alarm_log import ALARM_LOG_FILE, AlarmLog
from app.ingestion.alarms import (
    ACKNOWLEDGED_STATE,
    ALARM,
    OK,
    STALE,
    WARN,
    AlarmWatch,
    judge,
)
from app.ingestion.process import Ingestion, follow_limits
from app.options import DashboardOptions
from app.shared_state import SharedState
from app.sources import SimulatedInstrument

S = 1_000_000_000
KEY = "log/sample_temperature"


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000 * S

    def __call__(self) -> int:
        return self.now


def temperature(kelvin: float) -> sc.DataArray:
    return sc.DataArray(sc.scalar(kelvin, unit="K"))


def make_watch(
    limits: AlarmLimits, tmp_path: Path | None = None
) -> tuple[AlarmWatch, DataService, Clock]:
    service, clock = DataService(), Clock()
    watch = AlarmWatch(service, AlarmLog(tmp_path), clock)
    watch.set_limits({KEY: limits})
    return watch, service, clock


def state(watch: AlarmWatch, key: str = KEY) -> str:
    alarm = watch.view.active.get(key)
    return OK if alarm is None else alarm.state


def test_a_value_past_a_bound_is_a_warning_or_an_alarm_and_back_inside_ok() -> None:
    watch, service, _ = make_watch(AlarmLimits(warn_high=300.0, alarm_high=305.0))
    watch[KEY] = temperature(299.0)
    assert state(watch) == OK
    watch[KEY] = temperature(301.0)
    assert state(watch) == WARN
    watch[KEY] = temperature(306.0)
    assert state(watch) == ALARM
    alarm = watch.view.active[KEY]
    assert (alarm.value, alarm.limit) == (306.0, "alarm_high 305")
    assert alarm.describe() == f"{KEY} 306 (alarm_high 305)"
    watch[KEY] = temperature(290.0)
    assert state(watch) == OK
    # Every value reaches the store, judged or not.
    assert service[KEY].value == 290.0


def test_low_bounds_judge_as_the_high_ones() -> None:
    limits = AlarmLimits(alarm_low=1.0, warn_low=2.0)
    assert judge(limits, 0.5) == (ALARM, "alarm_low 1")
    assert judge(limits, 1.5) == (WARN, "warn_low 2")
    assert judge(limits, 2.5) == (OK, "inside")


def test_a_value_hovering_at_a_bound_does_not_flap_within_the_deadband() -> None:
    watch, _, _ = make_watch(AlarmLimits(alarm_high=305.0, deadband=1.0))
    for kelvin in (305.1, 304.9, 305.2, 304.5, 305.05, 304.1):
        watch[KEY] = temperature(kelvin)
        assert state(watch) == ALARM
    watch[KEY] = temperature(303.9)
    assert state(watch) == OK
    assert [t.new for t in watch.view.recent] == [OK, ALARM]


def test_an_alarm_back_within_the_warnings_deadband_is_a_warning() -> None:
    watch, _, _ = make_watch(
        AlarmLimits(warn_high=300.0, alarm_high=305.0, deadband=1.0)
    )
    watch[KEY] = temperature(306.0)
    watch[KEY] = temperature(299.5)  # below warn_high but within its deadband
    assert state(watch) == WARN
    assert watch.view.active[KEY].limit == "warn_high 300"


def test_a_worse_state_is_reported_only_once_it_lasted_its_grace_time() -> None:
    watch, _, clock = make_watch(AlarmLimits(alarm_high=305.0, grace_s=5.0))
    watch[KEY] = temperature(310.0)  # a spike
    clock.now += 2 * S
    watch[KEY] = temperature(300.0)
    clock.now += 10 * S
    watch.tick()
    assert state(watch) == OK
    assert watch.view.recent == ()
    watch[KEY] = temperature(310.0)
    clock.now += 4 * S
    watch[KEY] = temperature(311.0)
    assert state(watch) == OK
    # No new value needed: the ingestion's tick ends the grace time.
    clock.now += 2 * S
    watch.tick()
    assert state(watch) == ALARM
    assert watch.view.active[KEY].value == 311.0


def test_a_key_with_no_data_for_its_stale_time_turns_stale_without_a_value() -> None:
    watch, _, clock = make_watch(AlarmLimits(alarm_high=305.0, stale_s=30.0))
    watch[KEY] = temperature(300.0)
    clock.now += 29 * S
    watch.tick()
    assert state(watch) == OK
    clock.now += 2 * S
    watch.tick()
    assert state(watch) == STALE
    assert watch.view.active[KEY].limit == "no data for 30 s"
    watch[KEY] = temperature(300.0)
    assert state(watch) == OK


def test_a_key_that_never_sends_turns_stale_from_when_its_limits_came() -> None:
    watch, _, clock = make_watch(AlarmLimits(stale_s=10.0))
    clock.now += 11 * S
    watch.tick()
    assert state(watch) == STALE
    assert watch.view.active[KEY].value is None


def test_an_acknowledged_alarm_stays_listed_until_the_value_is_back_inside() -> None:
    watch, _, _ = make_watch(AlarmLimits(warn_high=300.0, alarm_high=305.0))
    assert not watch.acknowledge(KEY)  # nothing to acknowledge
    watch[KEY] = temperature(306.0)
    assert watch.acknowledge(KEY)
    assert not watch.acknowledge(KEY)
    watch[KEY] = temperature(307.0)
    assert watch.view.active[KEY].acknowledged
    watch[KEY] = temperature(290.0)
    assert KEY not in watch.view.active
    # A new alarm needs a new acknowledgement.
    watch[KEY] = temperature(306.0)
    assert not watch.view.active[KEY].acknowledged


def test_a_worse_state_after_an_acknowledgement_needs_one_of_its_own() -> None:
    watch, _, _ = make_watch(AlarmLimits(warn_high=300.0, alarm_high=305.0))
    watch[KEY] = temperature(301.0)
    watch.acknowledge(KEY)
    watch[KEY] = temperature(306.0)
    assert not watch.view.active[KEY].acknowledged


def test_keys_without_limits_and_values_that_are_not_numbers_are_not_judged() -> None:
    watch, service, _ = make_watch(AlarmLimits(alarm_high=1.0))
    watch["other"] = temperature(1e9)
    watch[KEY] = sc.DataArray(sc.array(dims=["x"], values=[5.0, 6.0]))
    assert watch.view.active == {}
    assert service["other"].value == 1e9


def test_new_limits_judge_the_last_value_and_removed_ones_end_alarms() -> None:
    watch, _, _ = make_watch(AlarmLimits(alarm_high=305.0))
    watch[KEY] = temperature(300.0)
    watch.set_limits({KEY: AlarmLimits(alarm_high=295.0)})
    assert state(watch) == ALARM
    watch.set_limits({})
    assert state(watch) == OK
    assert watch.view.recent[0].limit == "limits removed"


def test_each_transition_is_one_line_in_the_log_and_in_the_alarm_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watch, _, clock = make_watch(
        AlarmLimits(warn_high=300.0, alarm_high=305.0, stale_s=10.0), tmp_path
    )
    caplog.set_level(logging.INFO, logger="app.ingestion.alarm_log")
    for kelvin in (299.0, 301.0, 306.0, 306.5, 295.0):
        watch[KEY] = temperature(kelvin)
        clock.now += S
    clock.now += 20 * S
    watch.tick()
    lines = (tmp_path / ALARM_LOG_FILE).read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["from"], e["to"]) for e in entries] == [
        (OK, WARN),
        (WARN, ALARM),
        (ALARM, OK),
        (OK, STALE),
    ]
    assert entries[1]["key"] == KEY
    assert entries[1]["value"] == 306.0
    assert entries[1]["limit"] == "alarm_high 305"
    assert entries[1]["time"].endswith("Z")
    logged = [r.getMessage() for r in caplog.records if "alarm:" in r.getMessage()]
    assert len(logged) == 4
    assert f"{KEY!r} warn -> alarm: value 306, alarm_high 305" in logged[1]


def test_the_view_lists_the_last_transitions_newest_first() -> None:
    watch, _, _ = make_watch(AlarmLimits(alarm_high=305.0))
    for _ in range(30):
        watch[KEY] = temperature(306.0)
        watch[KEY] = temperature(300.0)
    recent = watch.view.recent
    assert len(recent) == 50
    assert recent[0].new == OK
    assert recent[0].at_ns >= recent[-1].at_ns


LIMITS_FILE = (
    '# the sample environment\n{"key": "log/sample_temperature", "alarm_high": 305}\n'
)


def _options(tmp_path: Path, text: str) -> DashboardOptions:
    limits_file = tmp_path / "limits.jsonl"
    limits_file.write_text(text)
    return DashboardOptions(state_dir=str(tmp_path), alarm_limits=str(limits_file))


def _wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)  # polling interval, bounded by the deadline


def test_limits_set_by_an_operator_apply_at_once_persist_and_reach_other_processes(
    tmp_path: Path,
) -> None:
    options = _options(tmp_path, LIMITS_FILE)
    ingestion = Ingestion(SimulatedInstrument(streams=[]), ingest_period_s=1.0)
    follow_limits(ingestion.alarms, options)
    assert ingestion.alarms.view.limits == {KEY: AlarmLimits(alarm_high=305.0)}
    # Another process: its own object on the same file, its own watch.
    other = AlarmWatch(DataService())
    other.follow({}, SharedState(tmp_path / LIMITS_STATE))
    ingestion.alarms.store(KEY, AlarmLimits(alarm_high=1.0))
    assert ingestion.alarms.view.limits[KEY] == AlarmLimits(alarm_high=1.0)
    stored = SharedState(tmp_path / LIMITS_STATE).read()
    assert stored == {KEY: {"alarm_high": 1.0}}
    _wait_for(lambda: other.view.limits.get(KEY) == AlarmLimits(alarm_high=1.0))
    # A restart starts with them: what operators set wins over the file.
    restarted = AlarmWatch(DataService())
    follow_limits(restarted, options)
    restarted[KEY] = temperature(2.0)
    assert state(restarted) == ALARM


def test_a_bad_limits_file_is_refused_and_the_ingestion_runs_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    options = _options(tmp_path, '# limits\n{"key": "t", "alarm_high": "hot"}\n')
    watch = AlarmWatch(DataService())
    follow_limits(watch, options)
    assert dict(watch.view.limits) == {}
    assert "line 2: key 't': field 'alarm_high': must be a number" in watch.note
    assert watch.note.endswith("started without it")
    assert watch.note in caplog.text


def test_an_acknowledgement_reaches_the_other_processes_alarm_of_the_key(
    tmp_path: Path,
) -> None:
    watches = []
    for _ in range(2):  # two processes: each its own objects on the same files
        watch = AlarmWatch(DataService())
        watch.follow(
            {KEY: AlarmLimits(alarm_high=305.0)},
            SharedState(tmp_path / LIMITS_STATE),
            SharedState(tmp_path / ACKNOWLEDGED_STATE),
        )
        watch[KEY] = temperature(306.0)
        watches.append(watch)
    first, second = watches
    assert first.acknowledge(KEY)
    _wait_for(lambda: second.view.active[KEY].acknowledged)
    # An alarm that begins after the acknowledgement is a new one.
    second[KEY] = temperature(290.0)
    second[KEY] = temperature(306.0)
    assert not second.view.active[KEY].acknowledged
