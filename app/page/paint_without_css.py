"""Bokeh's paints without CSS lookups: this page styles no plot through CSS
variables and never changes a plot's font size, so the per-paint
`getComputedStyle` calls of BokehJS are skipped (decision 062)."""

from __future__ import annotations

from bokeh.models import CustomJS

# BokehJS asks getComputedStyle for a `--bk-*` variable before each line, fill,
# text and hatch property of every visual on every paint (about 200 lookups per
# figure), and for the plot's font size before measuring each axis: measured, a
# third of the browser's main thread on the default page, most of it styles
# recomputed for the answer. Nothing here sets such variables (themes set model
# properties), so every variable lookup answers "" and the model's own value is
# used: the answer is given without asking. A plot's font size is asked once
# (a theme switch reloads the page). And every renderer rewrites its position
# style sheet on every paint, unchanged or not, which makes the browser
# recompute styles when the next text is drawn: an unchanged sheet is kept,
# and a glyph's (its element is empty, drawn on the canvas; its sheet follows
# the data's extent, so it changes every frame) is not written at all.
# Runs once per page; an unknown BokehJS leaves paints as they are and says so
# in the console.
SKIP_CSS_LOOKUPS_JS = """
try {
  const visual = Bokeh.require("core/visuals/visual").VisualProperties.prototype;
  const plot = Bokeh.require("models/plots/plot_canvas").PlotView.prototype;
  const sheet = Bokeh.require("core/dom").InlineStyleSheet.prototype;
  const glyph = Bokeh.require("models/renderers/glyph_renderer")
    .GlyphRendererView.prototype;
  if (!visual._css_lookups_skipped) {
    visual._get_css_value = function (name) { return ""; };
    const update = sheet._update;
    sheet._update = function (css) {
      if (this.el.textContent !== css) update.call(this, css);
    };
    glyph.update_position = function () {};
    visual._css_lookups_skipped = true;
    const font_size = Object.getOwnPropertyDescriptor(plot, "base_font_size").get;
    Object.defineProperty(plot, "base_font_size", {
      configurable: true,
      get() {
        if (this._font_size == null) this._font_size = font_size.call(this);
        return this._font_size;
      },
    });
  }
} catch (error) {
  console.warn("plots keep BokehJS's CSS lookups:", error);
}
"""


def skip_css_lookups() -> CustomJS:
    """A callback that makes this page's BokehJS skip its per-paint CSS lookups."""
    return CustomJS(code=SKIP_CSS_LOOKUPS_JS)
