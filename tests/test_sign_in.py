import json

import pytest

from app.sign_in import (
    NO_SIGN_IN_WARNING,
    Serving,
    SignInError,
    check_command_line,
    check_serving,
    is_loopback,
    main,
    serving_from,
)

SERVE = ["panel", "serve", "app/dashboard.py", "--port", "5006"]


@pytest.fixture
def credentials(tmp_path):
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"alice": "a", "bob": "b"}))
    return str(path)


def test_the_servers_address_and_sign_in_are_read_from_its_command_line() -> None:
    argv = [*SERVE, "--address", "127.0.0.1", "--address=10.0.0.5"]
    argv += ["--basic-auth", "users.json", "--cookie-secret", "x"]
    serving = serving_from([*argv, "--args", "--address", "::1"], {})
    assert serving == Serving("10.0.0.5", "users.json", "", cookie_secret=True)
    assert serving.sign_in == "credentials file"


def test_sign_in_given_in_panels_variables_counts() -> None:
    environ = {"PANEL_OAUTH_PROVIDER": "Generic", "PANEL_COOKIE_SECRET": "x"}
    serving = serving_from(SERVE, environ)
    assert serving.sign_in == "OAuth (generic)"
    assert serving.cookie_secret


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("dashboard.facility.org", False),
    ],
)
def test_only_loopback_addresses_are_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.parametrize("address", ["", "0.0.0.0", "10.1.2.3"])
def test_a_network_address_without_sign_in_is_refused(address: str) -> None:
    with pytest.raises(SignInError, match=r"without sign-in.*--no-sign-in"):
        check_serving(Serving(address), no_sign_in=False)


def test_no_sign_in_said_explicitly_serves_with_a_warning() -> None:
    assert check_serving(Serving("0.0.0.0"), no_sign_in=True) == NO_SIGN_IN_WARNING


def test_loopback_without_sign_in_is_local_use_without_warning() -> None:
    assert check_serving(Serving("127.0.0.1"), no_sign_in=False) == ""


def test_a_network_address_with_sign_in_is_served(credentials: str) -> None:
    serving = Serving("0.0.0.0", credentials, cookie_secret=True)
    assert check_serving(serving, no_sign_in=False) == ""
    oauth = Serving("0.0.0.0", oauth_provider="generic", cookie_secret=True)
    assert check_serving(oauth, no_sign_in=False) == ""


def test_sign_in_without_a_cookie_secret_is_refused(credentials: str) -> None:
    with pytest.raises(SignInError, match="cookie secret"):
        check_serving(Serving("0.0.0.0", credentials), no_sign_in=False)


def test_a_shared_password_instead_of_a_credentials_file_is_refused() -> None:
    serving = Serving("0.0.0.0", "my-password", cookie_secret=True)
    with pytest.raises(SignInError, match="'my-password': no such credentials file"):
        check_serving(serving, no_sign_in=False)


@pytest.mark.parametrize("content", ["not json", "[]", "{}", '{"alice": ""}'])
def test_a_credentials_file_that_is_no_user_to_password_object_is_refused(
    tmp_path, content: str
) -> None:
    path = tmp_path / "users.json"
    path.write_text(content)
    serving = Serving("0.0.0.0", str(path), cookie_secret=True)
    with pytest.raises(SignInError, match=r"users\.json"):
        check_serving(serving, no_sign_in=False)


def test_the_check_before_the_server_reads_no_sign_in_after_args(capsys) -> None:
    network = ["app/dashboard.py", "--address", "0.0.0.0", "--num-procs", "4"]
    assert main(network) == 1
    assert "dashboard not started: refusing to serve 0.0.0.0" in capsys.readouterr().err
    assert main([*network, "--args", "--no-sign-in"]) == 0
    assert NO_SIGN_IN_WARNING in capsys.readouterr().err
    assert check_command_line(network, {"DASHBOARD_NO_SIGN_IN": "1"}) == (
        NO_SIGN_IN_WARNING
    )


def test_a_credentials_file_in_panels_variable_is_the_one_panel_reads(
    tmp_path,
) -> None:
    # Panel lowercases PANEL_BASIC_AUTH: it would read another path, missing,
    # and take the text as one shared password.
    path = tmp_path / "Users.json"
    path.write_text(json.dumps({"alice": "a"}))
    environ = {"PANEL_BASIC_AUTH": str(path), "PANEL_COOKIE_SECRET": "x"}
    serving = serving_from(SERVE, environ)
    assert serving.basic_auth == str(path).lower()
    with pytest.raises(SignInError, match="no such credentials file"):
        check_serving(serving, no_sign_in=False)
