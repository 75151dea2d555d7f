"""Tests of app/page/key_browser.py: search, groups, pages, details, one-click add."""

import scipp as sc
from bokeh.events import ButtonClick
from bokeh.models import Button

from app.data import DataService, KeyInfo
from app.ingestion.key_activity import KeyActivity
from app.limits import MAX_KEY_SEARCH_CHARS, MAX_KEYS_LISTED
from app.page.key_browser import (
    PAGE_SIZE,
    KeyBrowser,
    describe_key,
    group_of,
    match_keys,
    sorted_keys,
)

SPECTRUM = KeyInfo.of(sc.DataArray(sc.zeros(dims=["tof"], shape=[3])), 0)


def test_keys_are_grouped_by_prefix() -> None:
    assert group_of("monitor/m1") == "monitor/"
    assert group_of("plain") == "(no prefix)"
    catalog = dict.fromkeys(["log/b", "x", "detector/a", "log/a"], SPECTRUM)
    assert sorted_keys(catalog) == ("x", "detector/a", "log/a", "log/b")


def test_search_matches_every_word_in_any_case_a_page_at_a_time() -> None:
    keys = (*tuple(f"detector/bank_{i:05d}" for i in range(10000)), "monitor/m1")
    found = match_keys(keys, "BANK 0012", page=0)
    assert found.total == 11
    assert found.keys[:2] == ("detector/bank_00012", "detector/bank_00120")
    everything = match_keys(keys, "", page=3)
    assert len(everything.keys) == PAGE_SIZE
    assert everything.total == 10_001
    assert everything.keys[0] == keys[3 * PAGE_SIZE]
    assert match_keys(keys, "", page=10**6).page == everything.pages - 1


def test_a_search_lists_at_most_its_bound_of_keys_and_says_so() -> None:
    keys = tuple(f"detector/bank_{i:05d}" for i in range(10_000))
    found = match_keys(keys, "bank", page=10**6)
    assert found.total == 10_000
    assert found.pages == MAX_KEYS_LISTED // PAGE_SIZE
    assert found.keys[-1] == keys[MAX_KEYS_LISTED - 1]


def test_a_search_beyond_its_bound_is_refused_naming_the_bound() -> None:
    service = DataService()
    with service.transaction():
        for i in range(MAX_KEYS_LISTED + 5):
            service[f"detector/bank_{i:05d}"] = sc.scalar(float(i))
    browser = KeyBrowser(service.catalog, KeyActivity(service), lambda k, v: None)
    assert browser.count.object == (
        f"{MAX_KEYS_LISTED + 5} keys · page 1 of {MAX_KEYS_LISTED // PAGE_SIZE}"
        f" · the first {MAX_KEYS_LISTED} are listed: narrow the search"
    )
    shown = browser.shown_keys
    browser.search.value_input = "bank " * MAX_KEY_SEARCH_CHARS
    assert browser.count.object == (
        f"search not run: {5 * MAX_KEY_SEARCH_CHARS:,} characters, a search "
        f"takes at most {MAX_KEY_SEARCH_CHARS}"
    )
    assert browser.shown_keys == shown
    assert browser.search.max_length == MAX_KEY_SEARCH_CHARS
    browser.search.value_input = "bank_0000"
    assert browser.count.object == "10 keys · page 1 of 1"


def test_search_over_ten_thousand_keys_renders_only_one_page() -> None:
    service = DataService()
    with service.transaction():
        for i in range(10_000):
            service[f"detector/bank_{i:05d}"] = sc.scalar(float(i))
    added = []
    browser = KeyBrowser(
        service.catalog, KeyActivity(service), lambda k, v: added.append((k, v))
    )
    assert len(browser.shown_keys) == PAGE_SIZE
    browser.search.value_input = "bank_0999"
    assert len(browser.shown_keys) == 10
    buttons = [row for row in browser.list.children if isinstance(row, Button)]
    assert len(buttons) == 10
    browser.add_as.value = "window"
    buttons[0]._trigger_event(ButtonClick(buttons[0]))
    assert added == [("detector/bank_09990", "window")]


def test_each_key_shows_kind_unit_rate_and_age() -> None:
    service = DataService()
    activity = KeyActivity(service)
    activity["monitor/m1"] = sc.DataArray(
        sc.zeros(dims=["tof"], shape=[3], unit="counts")
    )
    browser = KeyBrowser(service.catalog, activity, lambda k, v: None)
    browser.refresh()
    detail = browser.details["monitor/m1"]
    assert "spectrum · counts · " in detail
    assert "now" in detail


def test_a_unit_stays_a_scipp_unit_until_the_key_browser_writes_it() -> None:
    service = DataService()
    service["log/t"] = sc.DataArray(sc.scalar(1.0, unit="K"))
    service["log/n"] = sc.DataArray(sc.scalar(1.0, unit=None))
    service["log/f"] = sc.DataArray(sc.scalar(1.0, unit="dimensionless"))
    catalog = service.catalog()

    assert isinstance(catalog["log/t"].unit, sc.Unit)
    assert catalog["log/n"].unit is None
    assert catalog["log/f"].unit == sc.units.dimensionless
    assert describe_key(catalog["log/t"], "now") == "value · K · now"
    assert describe_key(catalog["log/n"], "now") == "value · no unit · now"
    assert describe_key(catalog["log/f"], "now") == "value · no unit · now"


def test_a_key_whose_rate_wobbles_keeps_its_text_and_a_real_change_shows() -> None:
    service = DataService()
    clock = [0]
    activity = KeyActivity(service, clock_ns=lambda: clock[0])
    browser = KeyBrowser(service.catalog, activity, lambda k, v: None)
    spectrum = sc.DataArray(sc.zeros(dims=["tof"], shape=[3], unit="counts"))

    def arrive(intervals_ms: list[int]) -> str:
        for interval in intervals_ms:
            clock[0] += interval * 1_000_000
            activity["monitor/m1"] = spectrum
        browser.refresh(now_ns=clock[0])
        return browser.details["monitor/m1"]

    steady = arrive([200] * 20)
    assert "5/s" in steady
    texts = {arrive([interval]) for interval in (170, 230, 175, 225, 180, 220)}
    assert texts == {steady}
    assert "2.5/s" in arrive([400] * 30)


def test_a_3d_key_is_described_as_drawn_summed_not_as_not_plotted() -> None:
    volume = sc.DataArray(sc.zeros(dims=["tof", "y", "x"], shape=[2, 2, 2]))
    text = describe_key(KeyInfo.of(volume, restarts=0), "now")
    assert text.startswith("3-D (summed) · ")
    assert "not plotted" not in text
