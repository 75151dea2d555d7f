"""Whether ``panel serve`` signs users in, and no network without it (decision 079).

Sign-in is Panel's own: a credentials file (``--basic-auth FILE`` with
``--cookie-secret``) or OAuth/OpenID Connect (``--oauth-provider generic``
with its key, secret, extra parameters and encryption key), given on
``panel serve``'s command line or in Panel's ``PANEL_*`` variables. This
module reads what the server was told, at its start, and refuses to serve
an address other machines reach without sign-in unless the operator said so
(``--no-sign-in``).
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

NO_SIGN_IN_WARNING = (
    "served without sign-in (--no-sign-in): everyone who reaches this page "
    "is an operator and may clear histories"
)


class SignInError(Exception):
    """The server would serve other machines without sign-in, or sign-in cannot work."""


@dataclass(frozen=True)
class Serving:
    """What ``panel serve`` was told about its address and sign-in.

    Parameters
    ----------
    address:
        The address it binds to; empty for every interface (Bokeh's default).
    basic_auth:
        ``--basic-auth``'s value (a credentials file), or empty.
    oauth_provider:
        ``--oauth-provider``'s value, e.g. ``generic``, or empty.
    cookie_secret:
        Whether a cookie secret was given (argument or variable).
    """

    address: str = ""
    basic_auth: str = ""
    oauth_provider: str = ""
    cookie_secret: bool = False

    @property
    def sign_in(self) -> str:
        """How users sign in, in words; empty without sign-in."""
        if self.oauth_provider:
            return f"OAuth ({self.oauth_provider})"
        if self.basic_auth:
            return "credentials file"
        return ""


def _last_value(argv: Sequence[str], flag: str) -> str | None:
    """The value of ``flag`` in ``argv`` (``--flag V`` or ``--flag=V``); last wins."""
    value = None
    for index, word in enumerate(argv):
        if word == "--args":  # the dashboard's own options follow
            break
        if word == flag and index + 1 < len(argv):
            value = argv[index + 1]
        elif word.startswith(flag + "="):
            value = word.split("=", 1)[1]
    return value


def serving_from(argv: Sequence[str], environ: Mapping[str, str]) -> Serving:
    """Read ``panel serve``'s command line and Panel's variables, as Panel does."""
    # Panel takes a variable or an argument for each (it refuses both), and
    # lowercases the variable's value: the file it reads is the lowercased one.
    basic_auth = _last_value(argv, "--basic-auth")
    if not basic_auth:
        basic_auth = environ.get("PANEL_BASIC_AUTH", "").lower()
    oauth = _last_value(argv, "--oauth-provider") or environ.get("PANEL_OAUTH_PROVIDER")
    secret = (
        _last_value(argv, "--cookie-secret")
        or environ.get("PANEL_COOKIE_SECRET")
        or environ.get("BOKEH_COOKIE_SECRET")
    )
    return Serving(
        address=_last_value(argv, "--address") or "",
        basic_auth=basic_auth or "",
        oauth_provider=(oauth or "").lower(),
        cookie_secret=bool(secret),
    )


def is_loopback(address: str) -> bool:
    """Whether only this machine reaches ``address`` (empty: every interface)."""
    if address.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name, or every interface
        return False


def read_credentials(path: str) -> dict[str, str]:
    """The users of a credentials file: a JSON object of user to password.

    Panel reads the same file at each sign-in; read here at start, a file
    Panel would take as one shared password (it does not exist) or one that
    is no such object stops the start, naming the file.
    """
    file = Path(path)
    if not file.is_file():
        raise SignInError(
            f"--basic-auth {path!r}: no such credentials file (a JSON object of "
            'user to password, e.g. {"alice": "..."}); a shared password would '
            "let anyone sign in under any name"
        )
    try:
        users = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SignInError(f"credentials file {path!r}: {error}") from None
    if (
        not isinstance(users, dict)
        or not users
        or not all(isinstance(v, str) and v for v in users.values())
    ):
        raise SignInError(
            f"credentials file {path!r}: expected a JSON object of user to "
            "non-empty password"
        )
    return users


def check_serving(serving: Serving, no_sign_in: bool) -> str:
    """Refuse what cannot be served; return the warning to log and show, if any.

    Raises
    ------
    SignInError
        Without sign-in on an address other machines reach, unless
        ``no_sign_in``; a credentials file that cannot be read; sign-in
        without the cookie secret that signs its cookies.
    """
    if serving.basic_auth and not serving.oauth_provider:
        read_credentials(serving.basic_auth)
    if serving.sign_in and not serving.cookie_secret:
        raise SignInError(
            f"sign-in ({serving.sign_in}) needs a cookie secret: --cookie-secret "
            "or PANEL_COOKIE_SECRET (a long random string)"
        )
    if serving.sign_in:
        return ""
    if no_sign_in:
        return NO_SIGN_IN_WARNING
    if not is_loopback(serving.address):
        where = serving.address or "every interface"
        raise SignInError(
            f"refusing to serve {where} without sign-in: other machines would "
            "reach a page where anyone clears histories. Sign in with "
            "--basic-auth FILE --cookie-secret ... or --oauth-provider generic "
            "..., or say --no-sign-in"
        )
    return ""


def check_command_line(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """`check_serving` for a ``panel serve`` command line and its variables.

    The dashboard's options (``--no-sign-in``) are those after ``--args``.
    """
    from app.options import parse_options  # here: the module stays light

    arguments = argv[list(argv).index("--args") + 1 :] if "--args" in argv else []
    options = parse_options(arguments, environ)
    return check_serving(serving_from(argv, environ), options.no_sign_in)


def sign_in_on() -> bool:
    """Whether this server signs its users in (Panel's configuration)."""
    import panel as pn  # here: the check before the server starts needs no Panel

    return bool(pn.config.basic_auth or pn.config.oauth_provider)


def main(argv: Sequence[str]) -> int:
    """``python -m app.sign_in ARGS``: check ``panel serve ARGS`` before it starts.

    ``make run`` runs it first, so a refused start never opens the port,
    whatever the number of server processes.
    """
    try:
        warning = check_command_line(argv, os.environ)
    except SignInError as error:
        print(f"dashboard not started: {error}", file=sys.stderr)
        return 1
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
