import panel as pn
import pytest

from app import roles
from app.audit import REFUSED, AuditLog
from app.page import access
from app.page.access import AccessBox, action_text
from app.sign_in import NO_SIGN_IN_WARNING

SECOND_NS = 1_000_000_000


@pytest.fixture
def sign_in_as(monkeypatch: pytest.MonkeyPatch):
    def sign_in(user: str) -> None:
        for module in (roles, access):
            monkeypatch.setattr(module, "sign_in_on", lambda: True)
        monkeypatch.setattr(roles, "_operators", roles.Operators.named(["alice"]))
        monkeypatch.setattr(type(pn.state), "user", property(lambda state: user))

    return sign_in


def test_a_viewer_sees_who_they_are_and_no_actions(sign_in_as, tmp_path) -> None:
    sign_in_as("bob")
    box = AccessBox(AuditLog(tmp_path), no_sign_in=False)
    box.make_view()
    assert box.who.text == "signed in as bob · viewer (operators clear histories)"
    assert box.sign_out.visible
    assert not box.actions.visible
    assert not box.warning.visible


def test_an_operator_sees_the_latest_actions_newest_first(sign_in_as, tmp_path) -> None:
    sign_in_as("alice")
    log = AuditLog(tmp_path)
    now_ns = 1_790_000_000 * SECOND_NS
    log.record("alice", "clear history", "monitor/m1", at_ns=now_ns - 120 * SECOND_NS)
    log.record("bob", "clear history", "log/x", REFUSED, at_ns=now_ns)
    box = AccessBox(log, no_sign_in=False)
    box.refresh(now_ns)  # nothing to show the actions in yet
    assert box.actions is None
    assert box.make_view() is box.make_view()  # made once
    assert box.who.text == "signed in as alice · operator"
    box.refresh(now_ns)
    assert box.actions.text.splitlines() == [
        "just now · bob: clear history log/x (refused)",
        "2 min ago · alice: clear history monitor/m1",
    ]


def test_without_sign_in_the_explicit_no_sign_in_is_a_warning(tmp_path) -> None:
    box = AccessBox(AuditLog(tmp_path), no_sign_in=True)
    assert box.warning.text == NO_SIGN_IN_WARNING
    assert box.warning.visible
    box.make_view()
    assert not box.who.visible
    # Local use: everyone operates and sees the actions.
    box.refresh(0)
    assert box.actions.text == "none yet"
    assert not AccessBox(AuditLog(tmp_path), no_sign_in=False).warning.visible


def test_an_entry_with_an_unreadable_time_says_the_time_as_written() -> None:
    entry = AuditLog(None).record("alice", "clear history", "k")
    broken = type(entry)("yesterday", "alice", "clear history", "k")
    assert action_text(broken, 0) == "yesterday · alice: clear history k"
