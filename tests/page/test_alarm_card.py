"""A page's alarms: the red card and pill, the list, acknowledging, editing limits."""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

import panel as pn
import pytest
import scipp as sc
from bokeh.events import ButtonClick
from bokeh.models import AbstractButton, BoxAnnotation

from app import roles
from app.alarm_limits import AlarmLimits
from app.audit import AUDIT_FILE, AuditLog, use_audit_log
from app.ingestion.process import Ingestion
from app.options import DashboardOptions
from app.page.alarm_list import alarm_list_text
from app.page.session import DashboardSession
from app.page.status import ALARMED, AMBER, GREEN
from app.plotters import SlidingWindowPlotter, ValuePanel
from app.sources import SimulatedInstrument
from app.sources.message import stamped
from tests.page.card_parts import header_models
from tests.page.test_session import HandClock

KEY = "log/sample_temperature"
LIMITS = AlarmLimits(warn_high=300.0, alarm_high=305.0)


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path)
    use_audit_log(log)
    yield log
    use_audit_log(AuditLog(None))


@pytest.fixture
def session(audit: AuditLog) -> tuple[DashboardSession, Ingestion]:
    ingestion = Ingestion(SimulatedInstrument(streams=[]), ingest_period_s=1.0)
    ingestion.alarms.set_limits({KEY: LIMITS})
    write(ingestion, 295.0)
    page = DashboardSession(ingestion, DashboardOptions(), frame_clock=HandClock)
    page.start()
    page.draw_frame()
    return page, ingestion


def write(ingestion: Ingestion, kelvin: float) -> None:
    with ingestion.alarms.transaction():
        value = sc.DataArray(sc.scalar(kelvin, unit="K"))
        ingestion.alarms[KEY] = stamped(value, time.time_ns())


def card_of(page: DashboardSession, plotter_type: type) -> pn.Column:
    (plot,) = [p for p in page._plots.values() if type(p.plotter) is plotter_type]
    return plot.card.view


def test_a_key_in_alarm_turns_its_cards_and_the_pill_red_at_the_next_frame(
    session: tuple[DashboardSession, Ingestion],
) -> None:
    page, ingestion = session
    assert page.pill.health.state == GREEN
    write(ingestion, 306.0)
    page.draw_frame()  # the next frame, not the next status period
    assert page.pill.health.state == ALARMED
    assert "alarm: log/sample_temperature 306 (alarm_high 305)" in (
        page.pill.health.reason
    )
    for plotter_type in (ValuePanel, SlidingWindowPlotter):
        card = card_of(page, plotter_type)
        assert card.styles["border"] == "3px solid #d62728"
    assert "ALARM" in page.alarm_list.list.text
    assert "log/sample_temperature 306 (alarm_high 305)" in page.alarm_list.list.text
    # The browser is told once, in words it shows as the notification.
    assert page.alarm_list.notify.text.startswith(
        "ALARM log/sample_temperature 306 (alarm_high 305)"
    )
    write(ingestion, 301.0)  # back below alarm_high: a warning
    page.draw_frame()
    assert page.pill.health.state == AMBER
    assert card_of(page, ValuePanel).styles["border"] == "3px solid #e0a000"
    write(ingestion, 290.0)
    page.draw_frame()
    assert page.pill.health.state == GREEN
    assert "border" not in card_of(page, ValuePanel).styles


def test_the_time_series_draws_the_limits_as_bands_and_the_panel_its_band(
    session: tuple[DashboardSession, Ingestion],
) -> None:
    page, ingestion = session
    window = next(p for p in page.plotters if isinstance(p, SlidingWindowPlotter))
    bands = {
        box.name: (
            box.bottom if isinstance(box.bottom, float) else None,
            box.top if isinstance(box.top, float) else None,
            box.visible,
        )
        for box in window._fig.select(type=BoxAnnotation)
    }
    assert bands["limit-band:alarm_high"] == (305.0, None, True)
    assert bands["limit-band:warn_high"] == (300.0, 305.0, True)
    assert not bands["limit-band:alarm_low"][2]
    panel = next(p for p in page.plotters if isinstance(p, ValuePanel))
    write(ingestion, 306.0)
    page.draw_frame()
    assert panel._plot.background_fill_color == "#fbd5d5"


def test_an_operator_acknowledges_and_each_acknowledgement_is_audited(
    session: tuple[DashboardSession, Ingestion], tmp_path: Path
) -> None:
    page, ingestion = session
    write(ingestion, 306.0)
    page.draw_frame()
    page.alarm_list.acknowledge_all()
    page.draw_frame()
    assert ingestion.alarms.view.active[KEY].acknowledged
    assert "acknowledged" in page.alarm_list.list.text
    assert page.pill.health.state == ALARMED  # still listed until back inside
    entries = [json.loads(line) for line in (tmp_path / AUDIT_FILE).open()]
    assert [(e["action"], e["key"], e["outcome"]) for e in entries] == [
        ("acknowledge alarm", KEY, "done")
    ]


def test_a_cards_acknowledge_shows_in_its_header_and_acknowledges_once_pressed(
    session: tuple[DashboardSession, Ingestion], tmp_path: Path
) -> None:
    page, ingestion = session
    parts = next(iter(page.alarm_cards._parts))
    assert parts.acknowledge is None  # made at the key's first alarm only
    write(ingestion, 306.0)
    page.draw_frame()
    button = parts.acknowledge
    card = card_of(page, type(parts._plotter))
    # In the header's line, before the limits and ⚙.
    labels = [b.label for b in header_models(card, AbstractButton)]
    assert labels[labels.index("acknowledge") :][:2] == ["acknowledge", "limits"]
    assert labels[-2:] == ["⚙", "✕"]
    assert button.visible
    assert not button.disabled
    assert button.html_attributes["title"] == f"acknowledge the alarm of {KEY}"
    button._trigger_event(ButtonClick(button))  # no document: runs at once
    page.draw_frame()
    assert ingestion.alarms.view.active[KEY].acknowledged
    assert not button.visible
    entries = [json.loads(line) for line in (tmp_path / AUDIT_FILE).open()]
    assert [(e["action"], e["key"], e["outcome"]) for e in entries] == [
        ("acknowledge alarm", KEY, "done")
    ]


def test_a_viewers_acknowledge_is_disabled_and_a_forged_one_refused(
    monkeypatch: pytest.MonkeyPatch, audit: AuditLog, tmp_path: Path
) -> None:
    monkeypatch.setattr(roles, "sign_in_on", lambda: True)
    monkeypatch.setattr(roles, "_operators", roles.Operators.named(["alice"]))
    monkeypatch.setattr(type(pn.state), "user", property(lambda state: "bob"))
    ingestion = Ingestion(SimulatedInstrument(streams=[]), ingest_period_s=1.0)
    ingestion.alarms.set_limits({KEY: LIMITS})
    write(ingestion, 306.0)
    page = DashboardSession(ingestion, DashboardOptions(), frame_clock=HandClock)
    assert page.alarm_list.acknowledge.disabled
    page.alarm_list.acknowledge_all()  # what a page changed in the browser sends
    assert not ingestion.alarms.view.active[KEY].acknowledged
    (entry,) = [json.loads(line) for line in (tmp_path / AUDIT_FILE).open()]
    assert (entry["user"], entry["outcome"]) == ("bob", "refused")


def test_an_operator_sets_limits_on_the_card_and_they_are_judged_and_audited(
    session: tuple[DashboardSession, Ingestion], tmp_path: Path
) -> None:
    page, ingestion = session
    parts = next(iter(page.alarm_cards._parts))
    parts.toggle.active = True  # the editor is built on its first opening
    assert parts.editor.visible
    parts._inputs["alarm_high"].value = 290.0
    parts._inputs["warn_high"].value = None
    parts._on_set()
    assert ingestion.alarms.view.limits[KEY] == AlarmLimits(alarm_high=290.0)
    assert ingestion.alarms.view.active[KEY].state == "alarm"  # 295 > 290
    parts._inputs["warn_high"].value = 300.0  # above alarm_high: refused
    parts._on_set()
    said = html.unescape(parts._said.object)
    assert "field 'alarm_high': 290.0 must lie above warn_high 300.0" in said
    assert ingestion.alarms.view.limits[KEY] == AlarmLimits(alarm_high=290.0)
    entries = [json.loads(line) for line in (tmp_path / AUDIT_FILE).open()]
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("set alarm limits", "done")
    ]


def test_the_list_names_active_keys_and_the_last_transitions() -> None:
    ingestion = Ingestion(SimulatedInstrument(streams=[]), ingest_period_s=1.0)
    ingestion.alarms.set_limits({KEY: LIMITS})
    write(ingestion, 306.0)
    write(ingestion, 302.0)
    text = alarm_list_text(ingestion.alarms.view, "limits file x line 2: bad")
    assert "limits file x line 2: bad" in text
    assert "<b>WARN</b> log/sample_temperature 302 (warn_high 300)" in text
    assert "last 2 transitions" in text
    assert "ok → alarm: 306, alarm_high 305" in text


def test_a_viewers_limits_editor_is_disabled_and_a_forged_set_refused(
    monkeypatch: pytest.MonkeyPatch, audit: AuditLog, tmp_path: Path
) -> None:
    monkeypatch.setattr(roles, "sign_in_on", lambda: True)
    monkeypatch.setattr(roles, "_operators", roles.Operators.named(["alice"]))
    monkeypatch.setattr(type(pn.state), "user", property(lambda state: "bob"))
    ingestion = Ingestion(SimulatedInstrument(streams=[]), ingest_period_s=1.0)
    ingestion.alarms.set_limits({KEY: LIMITS})
    write(ingestion, 295.0)
    page = DashboardSession(ingestion, DashboardOptions(), frame_clock=HandClock)
    parts = next(iter(page.alarm_cards._parts))
    parts.toggle.active = True
    assert all(widget.disabled for widget in parts._inputs.values())
    parts._inputs["alarm_high"].value = 1.0
    parts._on_set()  # what a page changed in the browser sends
    assert ingestion.alarms.view.limits[KEY] == LIMITS
    (entry,) = [json.loads(line) for line in (tmp_path / AUDIT_FILE).open()]
    assert (entry["action"], entry["outcome"]) == ("set alarm limits", "refused")
