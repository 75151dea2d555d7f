"""Viewers and operators: who may act on everyone's data (decision 080).

A viewer watches; an operator also acts on what every page shows (clears a
key's history). Operators are named by user or, as ``group:NAME``, by a
group the identity provider lists in the user's ``groups`` claim, through
``--operators`` and ``--operators-file``. Without sign-in (local use)
everyone is an operator. `may` is the one check: the page asks it to show a
control disabled, and the action asks it again on the server, so a change
forged in the browser is refused there.
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import panel as pn

from app.sign_in import sign_in_on

logger = logging.getLogger(__name__)

CLEAR_HISTORY = "clear history"
"""Drop a key's history in every open page."""
EDIT_REGIONS = "edit regions of interest"
"""Draw, move or delete an image key's regions, which every page shows and
every process sums."""
ACKNOWLEDGE_ALARM = "acknowledge alarm"
"""Say a key's alarm was seen, on every page of the process (decision 097)."""
SET_LIMITS = "set alarm limits"
"""Change the limits a key is judged by, for every process (decision 096)."""

GROUP_PREFIX = "group:"
GROUPS_CLAIM = "groups"
"""The claim of the identity provider's token that lists the user's groups."""


class Role(enum.Enum):
    VIEWER = "viewer"
    OPERATOR = "operator"


class OperatorsError(ValueError):
    """An operators file that cannot be read; the start stops on it."""


@dataclass(frozen=True)
class Operators:
    """The users and groups whose members are operators."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    @classmethod
    def named(cls, names: Iterable[str]) -> Operators:
        """From names: a user, or ``group:NAME`` for a group."""
        users, groups = set(), set()
        for name in (name.strip() for name in names):
            if name.startswith(GROUP_PREFIX):
                if group := name[len(GROUP_PREFIX) :].strip():
                    groups.add(group)
            elif name:
                users.add(name)
        return cls(frozenset(users), frozenset(groups))

    def __bool__(self) -> bool:
        return bool(self.users or self.groups)


@dataclass(frozen=True)
class Identity:
    """Who a session's user is, as sign-in told: name and groups."""

    user: str | None = None
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        """The user's name for the page and the logs."""
        return self.user or "an operator"


@dataclass(frozen=True)
class Permission:
    """The answer of `may`: whether, who, in which role, and if not, why."""

    allowed: bool
    action: str
    who: str
    role: Role
    reason: str = ""


def read_operators_file(path: Path) -> tuple[str, ...]:
    """The names of an operators file: one a line, ``#`` starts a comment."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OperatorsError(f"operators file {str(path)!r}: {error}") from None
    names = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(name for name in names if name)


@functools.lru_cache(maxsize=8)
def operators_from(names: tuple[str, ...], file: str = "") -> Operators:
    """The operators ``--operators`` and ``--operators-file`` name (file read once)."""
    if file:
        names += read_operators_file(Path(file))
    return Operators.named(names)


_operators = Operators()


def use_operators(operators: Operators) -> None:
    """Make ``operators`` this process's operators (from its options, at start)."""
    global _operators
    _operators = operators


def current_identity() -> Identity:
    """The current session's user, from Panel's sign-in; nobody outside a session."""
    try:
        user = pn.state.user
    except Exception:  # no session, no sign-in
        return Identity()
    try:
        info = pn.state.user_info or {}
    except Exception:  # a token that does not decode names no groups
        info = {}
    claimed = info.get(GROUPS_CLAIM) or ()
    if isinstance(claimed, str):
        claimed = (claimed,)
    return Identity(str(user) if user else None, frozenset(map(str, claimed)))


def role_of(identity: Identity, operators: Operators, *, sign_in: bool) -> Role:
    """The role of ``identity``: everyone operates without sign-in."""
    if not sign_in:
        return Role.OPERATOR
    if identity.user is not None and (
        identity.user in operators.users or identity.groups & operators.groups
    ):
        return Role.OPERATOR
    return Role.VIEWER


def permission(
    action: str, identity: Identity, operators: Operators, *, sign_in: bool
) -> Permission:
    """Whether ``identity`` may take the operator's ``action``, and if not, why."""
    role = role_of(identity, operators, sign_in=sign_in)
    if role is Role.OPERATOR:
        return Permission(True, action, identity.name, role)
    who = identity.user or "not signed in"
    reason = f"only operators may {action}; you are {who}, a viewer"
    return Permission(False, action, identity.user or "nobody", role, reason)


def may(action: str) -> Permission:
    """Whether the current session's user may take the operator's ``action``.

    The one check of every operator action: asked when the page is built,
    to show the control disabled with the reason, and again on the server
    when the action comes, whatever the browser sent.
    """
    return permission(action, current_identity(), _operators, sign_in=sign_in_on())
