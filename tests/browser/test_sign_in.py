"""Sign-in with a credentials file, viewers and operators, the audit, in chromium."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from app.audit import AUDIT_FILE
from app.sign_in import NO_SIGN_IN_WARNING
from app.testing.local_server import LocalServer, serve_dashboard
from tests.browser.dashboard_page import DashboardPage, open_settings

pytestmark = pytest.mark.browser

KEY = "log/sample_temperature"
SERIES = f"window:{KEY}"
USERS = {"alice": "alice-password", "bob": "bob-password"}
APP_ARGS = ["--frame-period", "0.1", "--simulated-rate", "10", "--keys", KEY]

# The forged request: the page's clear controls enabled through BokehJS's
# document, as anyone may from the browser's console, then clicked.
ENABLE_CLEAR_JS = """(doc) => {
    let enabled = 0;
    for (const model of doc.all_models) {
        if (model.css_classes && model.css_classes.includes("clear")) {
            model.disabled = false;
            enabled += 1;
        }
    }
    return enabled;
}"""
# And the click event itself, sent without the page's button.
CLICK_EVENTS_JS = """(doc) => {
    const {ButtonClick} = Bokeh.require("core/bokeh_events");
    for (const model of doc.all_models) {
        if (model.css_classes && model.css_classes.includes("clear")) {
            model.trigger_event(new ButtonClick());
            model.trigger_event(new ButtonClick());
        }
    }
}"""
CLEAR_DESCRIPTION_JS = """(doc) => {
    for (const model of doc.all_models) {
        if (model.css_classes && model.css_classes.includes("clear")) {
            return [model.disabled, model.tooltip && model.tooltip.content];
        }
    }
    return null;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    credentials = tmp_path_factory.mktemp("sign-in") / "users.json"
    credentials.write_text(json.dumps(USERS))
    sign_in = ["--basic-auth", str(credentials), "--cookie-secret", "test-" * 8]
    with serve_dashboard(
        [*APP_ARGS, "--operators", "alice"], serve_args=sign_in
    ) as server:
        yield server


def signed_in(browser: Browser, server: LocalServer, user: str) -> DashboardPage:
    """A tab signed in through Panel's login page, the dashboard built."""
    page = browser.new_context(viewport={"width": 1400, "height": 1200}).new_page()
    dashboard = DashboardPage(page)
    page.goto(server.url)
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", USERS[user])
    page.click("button[type=submit]")
    dashboard.wait_until_connected()
    dashboard.wait_until_built()
    wait_for_frames(dashboard, 20)
    return dashboard


def wait_for_frames(dashboard: DashboardPage, frames: int) -> None:
    """Until the window holds at least ``frames`` frames."""
    dashboard.wait_for(
        "(doc, [name, n]) => { const s = doc.get_model_by_name(name);"
        " return s && s.data.time && s.data.time.length >= n; }",
        [SERIES, frames],
    )


def audit_entries(server: LocalServer) -> list[dict]:
    path = Path(server.state_dir) / AUDIT_FILE
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_for_audit(server: LocalServer, count: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        entries = audit_entries(server)
        if len(entries) >= count:
            return entries
        time.sleep(0.05)  # polling interval, bounded by the deadline
    raise AssertionError(f"fewer than {count} audit entries: {entries}")


def test_sign_in_pages_refuse_a_wrong_password_and_load_nothing_from_outside(
    server: LocalServer, chromium: Browser
) -> None:
    page = chromium.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server.url)
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "not-her-password")
    page.click("button[type=submit]")
    expect(page.locator("#error-message")).to_contain_text("Invalid username")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", USERS["alice"])
    page.click("button[type=submit]")
    dashboard = DashboardPage(page)
    dashboard.wait_until_connected()
    page.goto(f"http://127.0.0.1:{server.port}/logout")
    expect(page.locator("form button")).to_be_visible()
    page.context.close()
    origin = f"http://127.0.0.1:{server.port}/"
    ours = (origin, f"blob:{origin}", "data:")
    outside = [url for url in requested if not url.startswith(ours)]
    assert outside == []


def test_a_viewer_cannot_clear_by_the_page_nor_by_a_forged_request(
    server: LocalServer, chromium: Browser
) -> None:
    dashboard = signed_in(chromium, server, "bob")
    assert "bob · viewer" in dashboard.evaluate(
        "(doc) => doc.get_model_by_name('signed-in').text"
    )
    clear = open_settings(dashboard.card("window", KEY)).locator(".clear button")
    expect(clear).to_be_disabled()
    disabled, description = dashboard.evaluate(CLEAR_DESCRIPTION_JS)
    assert disabled
    assert description == "only operators may clear history; you are bob, a viewer"
    # The recent actions are for operators only.
    assert not dashboard.evaluate(
        "(doc) => doc.get_model_by_name('recent-actions').visible"
    )
    before = dashboard.column(SERIES, "time")

    controls = dashboard.evaluate(ENABLE_CLEAR_JS)
    expect(clear).to_be_enabled()
    clear.click()
    dashboard.evaluate(CLICK_EVENTS_JS)

    refused = wait_for_audit(server, 1 + 2 * controls)
    assert {(e["user"], e["action"], e["key"], e["outcome"]) for e in refused} == {
        ("bob", "clear history", KEY, "refused")
    }
    assert "bob: clear history 'log/sample_temperature' REFUSED" in server.log()
    # The server shut the control again, and the history is whole: the
    # window still holds the frames from before the forged clicks.
    expect(clear).to_be_disabled()
    dashboard.wait_for(
        "(doc, [name, t]) => { const s = doc.get_model_by_name(name);"
        " return s.data.time.some(v => v > t); }",
        [SERIES, before[-1]],
    )
    assert min(dashboard.column(SERIES, "time")) <= before[-1]
    assert "cleared" not in dashboard.card("window", KEY).inner_text()
    dashboard.page.context.close()


def test_an_operator_clears_and_the_audit_names_them(
    server: LocalServer, chromium: Browser
) -> None:
    dashboard = signed_in(chromium, server, "alice")
    assert "alice · operator" in dashboard.evaluate(
        "(doc) => doc.get_model_by_name('signed-in').text"
    )
    already = len(audit_entries(server))
    clear = open_settings(dashboard.card("window", KEY)).locator(".clear button")
    before = dashboard.column(SERIES, "time")
    clear.click()
    expect(clear).to_have_text("confirm clear?")
    clear.click()

    [entry] = wait_for_audit(server, already + 1)[already:]
    assert (entry["user"], entry["action"], entry["key"], entry["outcome"]) == (
        "alice",
        "clear history",
        KEY,
        "done",
    )
    dashboard.wait_for(
        "(doc, [name, t]) => { const s = doc.get_model_by_name(name);"
        " return s.data.time.length > 0 && s.data.time.every(v => v > t); }",
        [SERIES, before[-1]],
    )
    # Operators see the latest actions in the sidebar.
    dashboard.wait_for(
        "(doc, key) => doc.get_model_by_name('recent-actions').text"
        ".includes(`alice: clear history ${key}`)",
        KEY,
    )
    dashboard.page.context.close()


def test_a_network_address_without_sign_in_is_refused_at_start() -> None:
    refused = r"refusing to serve 0\.0\.0\.0 without sign-in"
    with (
        pytest.raises(RuntimeError, match=refused),
        serve_dashboard(APP_ARGS, serve_args=["--address", "0.0.0.0"]),
    ):
        pass


def test_no_sign_in_said_explicitly_is_warned_at_start_and_on_the_page(
    browser_page,
) -> None:
    with serve_dashboard([*APP_ARGS, "--no-sign-in"]) as server:
        dashboard = DashboardPage(browser_page).open(server.url)
        text = dashboard.evaluate(
            "(doc) => doc.get_model_by_name('sign-in-warning').text"
        )
        assert text == NO_SIGN_IN_WARNING
        assert NO_SIGN_IN_WARNING in server.log()
        expect(browser_page.get_by_text(NO_SIGN_IN_WARNING)).to_be_visible()
