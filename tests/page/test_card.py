"""A plot's card: header controls at once, settings sections when first opened."""

from collections.abc import Sequence

import panel as pn
from bokeh.models import Toggle

from app.data import DataService
from app.page.card import SETTINGS, CardPlot, PlotCard
from app.plot_spec import PlotSpec
from app.plotters import LinePlotter, ValuePanel
from tests.page.card_parts import header_models
from tests.plotters.plotter_frames import spectrum


def card_of(plotter, sections=SETTINGS) -> PlotCard:
    """A card of `plotter` whose actions run at once (no document)."""
    data_service = DataService()
    data_service[plotter.key] = spectrum(0)
    info = data_service.catalog()[plotter.key]
    return PlotCard(
        CardPlot(PlotSpec(plotter.key, "latest"), info, plotter),
        view_menu=lambda: pn.widgets.Select(
            options=["latest"], css_classes=["plot-view"]
        ),
        remove=lambda: None,
        schedule=lambda action: action(),
        sections=sections,
    )


def widgets(card: PlotCard, kind: type) -> list:
    return list(card.view.select(kind))


def test_a_cards_settings_are_built_at_their_first_opening_only() -> None:
    calls: list[CardPlot] = []

    def section(plot: CardPlot) -> Sequence[pn.viewable.Viewable]:
        calls.append(plot)
        return [pn.widgets.Checkbox(label=f"normalise {plot.spec.key}")]

    card = card_of(LinePlotter("monitor/m1"), sections=(*SETTINGS, section))
    # The header holds pause, ⚙ and ✕; nothing of the settings exists yet.
    toggles = header_models(card.view, Toggle)
    assert [toggle.label for toggle in toggles] == ["pause", "⚙"]
    assert widgets(card, pn.widgets.Select) == []
    assert calls == []

    card.toggle.active = True
    assert card.settings_open
    assert len(calls) == 1
    assert calls[0].plotter is card.plot.plotter
    (checkbox,) = [
        w for w in widgets(card, pn.widgets.Checkbox) if w.label.startswith("normalise")
    ]
    assert checkbox.label == "normalise monitor/m1"
    # The view menu first, then the plot's own settings (range, log, clear).
    assert widgets(card, pn.widgets.Select)[0].css_classes == ["plot-view"]
    assert any(b.label == "clear" for b in widgets(card, pn.widgets.Button))

    card.toggle.active = False
    assert not card.settings_open
    card.toggle.active = True
    assert card.settings_open
    assert len(calls) == 1  # built once, shown again


def test_a_figure_card_shares_its_rows_width_and_a_value_card_keeps_its_size() -> None:
    figure = card_of(LinePlotter("monitor/m1"))
    assert figure.view.sizing_mode == "stretch_width"
    assert figure.plot.plotter.root.sizing_mode == "stretch_both"
    assert "line-monitor-m1" in figure.view.css_classes
    value = card_of(ValuePanel("log/t"))
    assert value.view.sizing_mode in (None, "fixed")
    assert value.view.width == value.plot.plotter.width + 10


def test_a_figure_cards_header_names_the_key_and_the_figure_has_no_title() -> None:
    plotter = LinePlotter("monitor/m1")
    card = card_of(plotter)
    # The header's text and buttons are one pane's models, the text first.
    assert card.view.objects[0].object.children[0] is plotter.header_model()
    assert plotter.root.title is None
    assert plotter.header_model().text == "monitor/m1"
    assert "plot-key" in plotter.header_model().css_classes
