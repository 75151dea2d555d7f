import pytest

from app import roles
from app.roles import (
    CLEAR_HISTORY,
    Identity,
    Operators,
    OperatorsError,
    Role,
    may,
    operators_from,
    permission,
    read_operators_file,
    role_of,
)

OPERATORS = Operators.named(["alice", "group:beamline-staff"])


def test_names_are_users_and_group_prefixed_names_groups() -> None:
    assert Operators(frozenset({"alice"}), frozenset({"beamline-staff"})) == OPERATORS
    assert not Operators.named(["", " ", "group:"])


def test_without_sign_in_everyone_is_an_operator() -> None:
    assert role_of(Identity(), Operators(), sign_in=False) is Role.OPERATOR


@pytest.mark.parametrize(
    ("identity", "role"),
    [
        (Identity("alice"), Role.OPERATOR),
        (Identity("carol", frozenset({"beamline-staff"})), Role.OPERATOR),
        (Identity("bob"), Role.VIEWER),
        (Identity("bob", frozenset({"users"})), Role.VIEWER),
        # A group named like a user grants nothing, and nobody is no one.
        (Identity("beamline-staff"), Role.VIEWER),
        (Identity(None, frozenset({"beamline-staff"})), Role.VIEWER),
    ],
)
def test_with_sign_in_operators_are_named_by_user_or_group(
    identity: Identity, role: Role
) -> None:
    assert role_of(identity, OPERATORS, sign_in=True) is role


def test_a_viewer_is_refused_with_the_reason() -> None:
    answer = permission(CLEAR_HISTORY, Identity("bob"), OPERATORS, sign_in=True)
    assert not answer.allowed
    assert answer.who == "bob"
    assert answer.reason == "only operators may clear history; you are bob, a viewer"
    allowed = permission(CLEAR_HISTORY, Identity("alice"), OPERATORS, sign_in=True)
    assert allowed.allowed
    assert (allowed.who, allowed.reason) == ("alice", "")


def test_may_asks_the_sessions_user_and_groups(monkeypatch) -> None:
    user = {"name": "carol", "info": {"user": "carol", "groups": ["beamline-staff"]}}
    monkeypatch.setattr(type(roles.pn.state), "user", property(lambda s: user["name"]))
    monkeypatch.setattr(
        type(roles.pn.state), "user_info", property(lambda s: user["info"])
    )
    monkeypatch.setattr(roles, "sign_in_on", lambda: True)
    monkeypatch.setattr(roles, "_operators", OPERATORS)
    assert may(CLEAR_HISTORY).allowed
    user["info"] = {"user": "carol", "groups": "users"}
    assert not may(CLEAR_HISTORY).allowed
    monkeypatch.setattr(roles, "sign_in_on", lambda: False)
    assert may(CLEAR_HISTORY).allowed


def test_outside_a_session_with_sign_in_nobody_may_act(monkeypatch) -> None:
    monkeypatch.setattr(roles, "sign_in_on", lambda: True)
    monkeypatch.setattr(roles, "_operators", OPERATORS)
    answer = may(CLEAR_HISTORY)
    assert not answer.allowed
    assert answer.who == "nobody"


def test_the_operators_file_holds_a_name_a_line_with_comments(tmp_path) -> None:
    path = tmp_path / "operators"
    path.write_text("# shift leaders\nalice\n\ngroup:beamline-staff  # all staff\n")
    assert read_operators_file(path) == ("alice", "group:beamline-staff")
    assert operators_from(("dave",), str(path)) == Operators.named(
        ["dave", "alice", "group:beamline-staff"]
    )


def test_an_operators_file_that_cannot_be_read_names_the_file(tmp_path) -> None:
    with pytest.raises(OperatorsError, match=r"missing\.txt"):
        read_operators_file(tmp_path / "missing.txt")
