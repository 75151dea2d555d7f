"""Tests of the layout file's schema, its errors, its URL form."""

import json

import pytest

from app.limits import (
    MAX_LAYOUT_FILE_CHARS,
    MAX_LAYOUT_PLOTS,
    MAX_LAYOUT_SECONDS,
)
from app.page.layout_file import (
    Layout,
    LayoutError,
    parse_layout,
    parse_stored_layout,
    parse_url_layout,
    read_layout_file,
)
from app.plot_spec import PlotSpec
from app.testing.many_plots import too_long_for_a_link

LAYOUT = Layout(
    (
        PlotSpec("monitor/m1", "window", frames=50),
        PlotSpec("log/motor_x", "time_window", seconds=300.0),
        PlotSpec("detector/panel_0", "aggregate", seconds=10.0, op="sum"),
        PlotSpec("detector/panel_0", "latest"),
    )
)


def test_a_layout_reads_back_equal_from_its_file_and_from_its_url() -> None:
    assert parse_layout(LAYOUT.to_json()) == LAYOUT
    assert parse_url_layout(LAYOUT.to_url()) == LAYOUT
    assert "=" not in LAYOUT.to_url()
    assert "+" not in LAYOUT.to_url()


def test_views_get_their_default_extent_when_the_file_leaves_it_out() -> None:
    text = json.dumps(
        {"version": 1, "plots": [{"key": "a", "view": "window"}, {"key": "b"}]}
    )
    assert parse_layout(text).plots == (
        PlotSpec("a", "window", frames=100),
        PlotSpec("b", "latest"),
    )


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ("{", "not JSON"),
        ("[]", "expected a JSON object"),
        ('{"version": 2, "plots": []}', "layout version 2 is not supported"),
        ('{"plots": []}', "layout version None is not supported"),
        ('{"version": 1, "plots": {}}', "'plots' must be a list"),
        ('{"version": 1, "plots": [{"view": "latest"}]}', "plot 1: 'key'"),
        ('{"version": 1, "plots": [{"key": "a", "view": "pie"}]}', "unknown view"),
        ('{"version": 1, "plots": [{"key": "a", "colour": 1}]}', "unknown fields"),
        (
            '{"version": 1, "plots": [{"key": "a", "view": "window", "frames": 0}]}',
            "plot 1 ('a'): 'frames' must be an integer from 1 to 10000",
        ),
        (
            '{"version": 1, "plots": [{"key": "a", "view": "time_window", '
            '"seconds": -1}]}',
            "'seconds' must be a number more than 0 and at most 86,400, got -1",
        ),
        (
            '{"version": 1, "plots": [{"key": "a", "view": "aggregate", "op": "x"}]}',
            "'op' must be one of",
        ),
        ('{"version": 1, "plots": [{"key": "a", "frames": 3}]}', "'window' view only"),
    ],
)
def test_a_bad_layout_says_what_is_wrong(document: str, says: str) -> None:
    with pytest.raises(LayoutError, match=None) as error:
        parse_layout(document)
    assert says in str(error.value)


def test_a_custom_view_is_a_valid_view_once_registered() -> None:
    text = '{"version": 1, "plots": [{"key": "a", "view": "pixel histogram"}]}'
    with pytest.raises(LayoutError):
        parse_layout(text)
    assert parse_layout(text, ("pixel histogram",)).plots[0].view == "pixel histogram"


def test_a_layout_file_error_names_the_file(tmp_path) -> None:
    path = tmp_path / "old.json"
    path.write_text('{"version": 0, "plots": []}')
    with pytest.raises(LayoutError, match=f"layout file {path}: layout version 0"):
        read_layout_file(path)
    with pytest.raises(LayoutError, match=r"missing\.json"):
        read_layout_file(tmp_path / "missing.json")


def test_a_broken_url_layout_is_a_layout_error() -> None:
    with pytest.raises(LayoutError, match="not JSON"):
        parse_url_layout("bm90IGpzb24")
    with pytest.raises(LayoutError):
        parse_url_layout("%%%")


def test_keys_that_are_not_strings_stay_out_of_files() -> None:
    layout = Layout((PlotSpec(("log", 7)), PlotSpec("a")))
    assert json.loads(layout.to_json())["plots"] == [{"key": "a", "view": "latest"}]


@pytest.mark.parametrize("view", ["time_window", "aggregate"])
@pytest.mark.parametrize("seconds", ["Infinity", "-Infinity", "NaN", "1e300", "0"])
def test_a_span_that_is_not_finite_or_beyond_a_day_is_refused_naming_the_range(
    view: str, seconds: str
) -> None:
    plot = f'{{"key": "monitor/m1", "view": "{view}", "seconds": {seconds}}}'
    text = f'{{"version": 1, "plots": [{plot}]}}'
    with pytest.raises(LayoutError) as error:
        parse_layout(text)
    assert str(error.value).startswith(
        "plot 1 ('monitor/m1'): 'seconds' must be a number more than 0 and at "
        "most 86,400, got "
    )


def test_a_span_of_exactly_the_bound_is_accepted() -> None:
    text = json.dumps(
        {
            "version": 1,
            "plots": [{"key": "a", "view": "time_window", "seconds": 86_400}],
        }
    )
    assert parse_layout(text).plots[0].seconds == MAX_LAYOUT_SECONDS


def test_a_url_layout_longer_than_a_link_carries_is_refused_naming_the_limit() -> None:
    text = too_long_for_a_link().to_url()
    with pytest.raises(LayoutError) as error:
        parse_url_layout(text)
    assert f"layout link is {len(text):,} characters long" in str(error.value)
    assert "longer than the 8,000 a link may carry" in str(error.value)


def test_a_stored_layout_longer_than_a_link_reads_back() -> None:
    layout = too_long_for_a_link()
    assert parse_stored_layout(layout.to_url()) == layout


def test_a_layout_of_more_plots_than_a_page_shows_is_refused_naming_the_bound() -> None:
    plots = [{"key": f"log/{i}"} for i in range(MAX_LAYOUT_PLOTS + 1)]
    assert len(parse_layout(json.dumps({"version": 1, "plots": plots[:-1]})).plots)
    with pytest.raises(LayoutError, match=f"at most {MAX_LAYOUT_PLOTS}"):
        parse_layout(json.dumps({"version": 1, "plots": plots}))


def test_a_layout_file_or_stored_layout_beyond_the_bound_is_refused_unread(
    tmp_path,
) -> None:
    path = tmp_path / "huge.json"
    path.write_text(" " * MAX_LAYOUT_FILE_CHARS + LAYOUT.to_json())
    with pytest.raises(LayoutError) as error:
        read_layout_file(path)
    assert f"layout file {path}: " in str(error.value)
    assert f"more than the {MAX_LAYOUT_FILE_CHARS:,} a layout may take" in str(
        error.value
    )
    with pytest.raises(LayoutError, match=f"{MAX_LAYOUT_FILE_CHARS:,} a layout"):
        parse_stored_layout("A" * (MAX_LAYOUT_FILE_CHARS + 1))


def test_pairings_read_back_and_a_layout_without_them_reads_as_before() -> None:
    paired = Layout(
        (
            PlotSpec("detector/scan_counts", "against", x_key="log/motor_x"),
            PlotSpec("monitor/m1", "latest", divide_by="log/proton_current"),
            PlotSpec(
                "c", "against", x_key="log/motor_x", divide_by="log/proton_current"
            ),
        )
    )
    assert parse_layout(paired.to_json()) == paired
    assert parse_url_layout(paired.to_url()) == paired
    old = '{"version": 1, "plots": [{"key": "a", "view": "window", "frames": 5}]}'
    assert parse_layout(old).plots == (PlotSpec("a", "window", frames=5),)


@pytest.mark.parametrize(
    ("plot", "says"),
    [
        ({"key": "a", "x_key": "x"}, "'x_key' belongs to the 'against' view only"),
        ({"key": "a", "view": "against", "x_key": ""}, "'x_key' must be a non-empty"),
        ({"key": "a", "divide_by": 3}, "'divide_by' must be a non-empty string"),
        (
            {"key": "a", "view": "aggregate", "divide_by": "m"},
            "'divide_by' divides frame by frame",
        ),
    ],
)
def test_a_bad_pairing_says_what_is_wrong(plot: dict, says: str) -> None:
    with pytest.raises(LayoutError, match=says):
        parse_layout(json.dumps({"version": 1, "plots": [plot]}))


REFERENCE = "0123456789abcdef0123456789abcdef"


def test_a_plots_reference_reads_back_from_file_and_url_by_its_name() -> None:
    layout = Layout((PlotSpec("monitor/m1", "latest", reference=REFERENCE),))
    assert parse_layout(layout.to_json()) == layout
    assert parse_url_layout(layout.to_url()) == layout
    assert json.loads(layout.to_json())["plots"][0]["reference"] == REFERENCE


def test_a_layout_without_references_reads_as_before() -> None:
    text = '{"version": 1, "plots": [{"key": "a", "view": "latest"}]}'
    assert parse_layout(text).plots == (PlotSpec("a", "latest"),)
    assert "reference" not in LAYOUT.to_json()


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", 7, REFERENCE + "0"])
def test_a_reference_that_is_not_a_kept_references_name_is_refused(name) -> None:
    text = json.dumps({"version": 1, "plots": [{"key": "a", "reference": name}]})
    with pytest.raises(LayoutError, match=r"plot 1 \('a'\): 'reference' must be"):
        parse_layout(text)
