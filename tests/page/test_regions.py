"""Tests of editing regions of interest: shared by every page, an operator's action."""

from __future__ import annotations

import time

import pytest

from app.audit import REFUSED, AuditLog
from app.data.regions import Region, regions_of, replace_regions
from app.page.regions import RegionEditor, edit_regions
from app.plotters import ImagePlotter, LinePlotter
from app.shared_state import SharedState

BOX = Region.box("left", -10.0, -2.0, 1.0, 5.0)
POLYGON = Region.polygon("tri", [0.0, 4.0, 0.0], [0.0, 0.0, 4.0])


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch):
    """Sign-in on, alice an operator; returns a function that signs a user in."""
    import panel as pn

    from app import roles

    user: dict[str, str | None] = {"name": None}
    monkeypatch.setattr(roles, "sign_in_on", lambda: True)
    monkeypatch.setattr(roles, "_operators", roles.Operators.named(["alice"]))
    monkeypatch.setattr(type(pn.state), "user", property(lambda state: user["name"]))
    return lambda name: user.__setitem__("name", name)


@pytest.fixture
def audit(tmp_path, monkeypatch: pytest.MonkeyPatch) -> AuditLog:
    from app import audit

    log = audit.AuditLog(tmp_path)
    monkeypatch.setattr(audit, "_audit", log)
    return log


def editor(state: SharedState) -> RegionEditor:
    return RegionEditor("panel", ImagePlotter("panel").root, state, None)


def test_an_operators_edit_is_written_for_every_process_and_audited(
    tmp_path, signed_in, audit: AuditLog
) -> None:
    signed_in("alice")
    state = SharedState(tmp_path / "regions.json")
    mine = editor(state)
    assert mine.layer is None  # no models for an image without regions
    mine.toggle.active = True
    mine.layer.polygons.data = {"xs": [[0, 4, 0]], "ys": [[0, 0, 4]], "name": [""]}
    named = Region.polygon("r1", [0, 4, 0], [0, 0, 4])
    assert regions_of(SharedState(tmp_path / "regions.json").read()) == {
        "panel": (named,)
    }
    # The new region's name shows in the browser too.
    assert mine.layer.polygons.data["name"] == ["r1"]
    (entry,) = audit.latest(5)
    assert (entry.user, entry.action, entry.key) == (
        "alice",
        "edit regions of interest",
        "panel",
    )


def test_a_viewers_edit_is_refused_audited_and_undone(
    tmp_path, signed_in, audit: AuditLog
) -> None:
    signed_in("bob")
    state = SharedState(tmp_path / "regions.json")
    state.update(replace_regions("panel", (BOX,)))
    plot = ImagePlotter("panel")
    viewer = edit_regions(plot, tmp_path)
    assert viewer.layer.tools == []
    assert viewer.layer.shown == (BOX,)
    # A page changed in the browser sends an edit anyway.
    viewer.layer.boxes.data = {"x": [], "y": [], "width": [], "height": [], "name": []}
    assert regions_of(state.read()) == {"panel": (BOX,)}
    assert viewer.layer.drawn() == (BOX,)
    assert audit.latest(1)[0].outcome == REFUSED
    viewer.stop()


def test_every_plot_of_the_key_shows_regions_changed_elsewhere(tmp_path) -> None:
    path = tmp_path / "regions.json"
    other_page = editor(SharedState(path))
    SharedState(path).update(replace_regions("panel", (BOX, POLYGON)))
    deadline = time.monotonic() + 10
    while other_page.layer is None or other_page.layer.drawn() != (BOX, POLYGON):
        assert time.monotonic() < deadline, "the page never showed the regions"
        time.sleep(0.05)
    assert other_page.toggle.active
    other_page.stop()


def test_plots_that_are_not_images_get_no_regions(tmp_path) -> None:
    assert edit_regions(LinePlotter("monitor"), tmp_path) is None


def test_an_edit_reaches_the_watchers_of_this_process_at_once(
    tmp_path, signed_in
) -> None:
    signed_in("alice")
    state = SharedState(tmp_path / "regions.json")
    seen = []
    state.watch(lambda document: seen.append(regions_of(document)))
    mine = editor(state)
    mine.toggle.active = True
    mine.layer.show((BOX,))
    mine.layer.polygons.data = {"xs": [[0, 4, 0]], "ys": [[0, 0, 4]], "name": ["tri"]}
    assert seen[-1] == {"panel": (BOX, POLYGON)}


def test_a_layout_file_carries_regions_and_gives_them_to_keys_without_any(
    tmp_path,
) -> None:
    from app.page.layout_file import Layout, parse_layout
    from app.page.regions import give_layout_regions, regions_of_keys
    from app.plot_spec import PlotSpec

    state = SharedState(tmp_path / "regions.json")
    state.update(replace_regions("panel", (BOX, POLYGON)))
    state.update(replace_regions("elsewhere", (BOX,)))
    plots = (PlotSpec("panel"), PlotSpec("monitor"))
    regions = regions_of_keys([plot.key for plot in plots], tmp_path)
    text = Layout(plots, regions).to_json()
    assert parse_layout(text).regions == {"panel": (BOX, POLYGON)}

    # Another server starts with the file: keys with regions keep theirs.
    other = tmp_path / "other"
    kept = Region.box("kept", 0.0, 1.0, 0.0, 1.0)
    SharedState(other / "regions.json").update(replace_regions("monitor", (kept,)))
    layout = Layout(plots, {"panel": (BOX,), "monitor": (POLYGON,)})
    (tmp_path / "layout.json").write_text(layout.to_json())
    give_layout_regions(tmp_path / "layout.json", other)
    assert regions_of(SharedState(other / "regions.json").read()) == {
        "panel": (BOX,),
        "monitor": (kept,),
    }


def test_a_layout_files_bad_region_is_refused_naming_it() -> None:
    from app.page.layout_file import LayoutError, parse_layout

    text = (
        '{"version": 1, "plots": [], "regions": {"panel": {"r1": '
        '{"shape": "polygon", "x": [0, 1], "y": [0, 1]}}}}'
    )
    with pytest.raises(LayoutError, match="region 'r1' of 'panel'"):
        parse_layout(text)
