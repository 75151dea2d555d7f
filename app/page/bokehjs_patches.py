"""BokehJS internals patched at runtime for cheaper paints and status texts,
only in the BokehJS minor they were written for (decisions 062, 063, 066)."""

from __future__ import annotations

import json
import logging

from bokeh.models import CustomJS

from app.page_text import IN_PLACE, text_div

logger = logging.getLogger(__name__)

BOKEHJS_MINOR = "3.9"
"""The BokehJS minor the patches were written for: pyproject pins bokeh to it."""

PATCHES = ("css-variables", "font-size", "style-sheets", "glyph-position", IN_PLACE)
"""Every patch, by the name the page reports it under."""

RECORD_NAME = "bokehjs-patches"
"""The name of the hidden `Div` through which the page reports its patches."""

# Why each patch (measured in a browser's profiler):
# - css-variables: BokehJS asks getComputedStyle for a `--bk-*` variable before
#   each line, fill, text and hatch property of every visual on every paint
#   (about 200 lookups per figure, a third of the main thread, mostly styles
#   recomputed for the answer). Nothing here sets such variables (themes set
#   model properties), so the answer "" is given without asking.
# - font-size: a plot's font size is asked before measuring each axis; it is
#   asked once (a theme switch reloads the page).
# - style-sheets: every renderer rewrites its position style sheet on every
#   paint, unchanged or not, which makes the browser recompute styles when the
#   next text is drawn: an unchanged sheet is kept.
# - glyph-position: a glyph renderer's element is empty (glyphs draw on the
#   canvas) and its sheet follows the data's extent, changing every frame: it
#   is not written at all.
# - text-in-place: BokehJS re-renders a Div on any change of its model and then
#   lays out the Div's whole root again (a quarter of a slow tab's main thread
#   for the status line, the pill and the frames note; with a dozen plots,
#   their headers' ages each second took 27% of a loaded tab's main thread).
#   A Div tagged `IN_PLACE` gets its new text written into the element it
#   shows (BokehJS applies a change of its styles itself, without a render);
#   only if its box changes size is it re-rendered and laid out, as before.
# Each patch first checks that the internal it replaces is there with the
# shape it was written for; one that is not is left alone and reported. The
# page keeps its record in `window.__dashboardPatches` (with the counts of
# texts shown in place and laid out again) and sends it to the server through
# the record Div. Runs once per page.
PATCHES_JS = """
if (window.__dashboardPatches == null) {
  const version = String(window.Bokeh && window.Bokeh.version);
  const found = {
    version, written_for: `${minor}.x`, applied: [], failed: {},
    texts: {in_place: 0, relaid: 0},
  };
  window.__dashboardPatches = found;
  const prototype_of = (module, name) => {
    const cls = Bokeh.require(module)[name];
    if (typeof cls !== "function") throw new Error(`${module} has no ${name}`);
    return cls.prototype;
  };
  const method = (proto, key, arity) => {
    const value = proto[key];
    if (typeof value !== "function" || value.length !== arity) {
      throw new Error(`${key} is not a method of ${arity} arguments`);
    }
    return value;
  };
  const patch = (name, apply) => {
    try {
      apply();
      found.applied.push(name);
    } catch (error) {
      found.failed[name] = String((error && error.message) || error);
    }
  };
  if (version.split(".").slice(0, 2).join(".") !== minor) {
    console.warn(`BokehJS ${version}: patches written for ${minor}.x, none applied`);
  } else {
    patch("css-variables", () => {
      const visual = prototype_of("core/visuals/visual", "VisualProperties");
      method(visual, "_get_css_value", 1);
      visual._get_css_value = function (name) { return ""; };
    });
    patch("font-size", () => {
      const plot = prototype_of("models/plots/plot_canvas", "PlotView");
      const size = Object.getOwnPropertyDescriptor(plot, "base_font_size");
      if (size == null || typeof size.get !== "function" || !size.configurable) {
        throw new Error("PlotView has no base_font_size getter");
      }
      Object.defineProperty(plot, "base_font_size", {
        configurable: true,
        get() {
          if (this._font_size == null) this._font_size = size.get.call(this);
          return this._font_size;
        },
      });
    });
    patch("style-sheets", () => {
      const dom = Bokeh.require("core/dom");
      const sheet = prototype_of("core/dom", "InlineStyleSheet");
      const update = method(sheet, "_update", 1);
      method(sheet, "replace", 2);
      const probe = new dom.InlineStyleSheet("");
      if (!(probe.el instanceof HTMLStyleElement)) {
        throw new Error("InlineStyleSheet has no style element");
      }
      sheet._update = function (css) {
        if (this.el.textContent !== css) update.call(this, css);
      };
    });
    patch("glyph-position", () => {
      const module = "models/renderers/glyph_renderer";
      const glyph = prototype_of(module, "GlyphRendererView");
      method(glyph, "update_position", 0);
      glyph.update_position = function () {};
    });
    patch(tag, () => {
      const div = prototype_of("models/widgets/div", "DivView");
      const rerender = method(div, "rerender", 0);
      method(div, "has_math_disabled", 0);
      div.rerender = function () {
        const markup = this.markup_el;
        const model = this.model;
        if (markup == null || !model.tags.includes(tag) || !this.has_math_disabled()) {
          return rerender.call(this);
        }
        // The Div's own box, which the layout placed: the text inside it may
        // grow or shrink without moving anything else.
        const width = this.el.offsetWidth;
        const height = this.el.offsetHeight;
        if (model.render_as_text) {
          markup.textContent = model.text;
        } else {
          markup.innerHTML = model.text;
        }
        if (this.el.offsetWidth !== width || this.el.offsetHeight !== height) {
          found.texts.relaid += 1;
          rerender.call(this);
        } else {
          found.texts.in_place += 1;
        }
      };
    });
    const failed = Object.keys(found.failed);
    if (failed.length) console.warn(`BokehJS ${version}: not patched:`, found.failed);
  }
}
const {version, written_for, applied, failed} = window.__dashboardPatches;
record.text = JSON.stringify({version, written_for, applied, failed});
"""

MAX_REPORTED_CHARS = 300
"""How much of one reason from the browser the log shows."""


class BokehJSPatches:
    """The page's BokehJS patches: a callback to run them and the page's report.

    Run `callback` once the document is connected; the record's text is the
    page's report, which the server logs (`log_record`).
    """

    def __init__(self) -> None:
        self.record = text_div(name=RECORD_NAME, visible=False)
        self.callback = CustomJS(
            args={"minor": BOKEHJS_MINOR, "tag": IN_PLACE, "record": self.record},
            code=PATCHES_JS,
        )
        self.record.on_change("text", lambda attr, old, new: log_record(new))


def log_record(text: str) -> None:
    """Log what a page reported of its patches: a warning unless all applied."""
    try:
        record = json.loads(text)
        version = str(record["version"])[:MAX_REPORTED_CHARS]
        applied = {str(name) for name in record["applied"]}
        failed = {str(name): str(why) for name, why in dict(record["failed"]).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        logger.warning("a page's BokehJS patch record is unreadable: %.300r", text)
        return
    if not applied and not failed:
        logger.warning(
            "a page runs BokehJS %s, not %s.x the patches are written for: none "
            "applied, so its plots ask CSS on every paint and its status texts "
            "lay the page out again (decision 066)",
            version,
            BOKEHJS_MINOR,
        )
        return
    missing = [name for name in PATCHES if name not in applied]
    if missing:
        reasons = "; ".join(
            f"{name}: {failed.get(name, 'not reported')[:MAX_REPORTED_CHARS]}"
            for name in missing
        )
        logger.warning(
            "a page on BokehJS %s left %d of %d patches unapplied (decision 066): %s",
            version,
            len(missing),
            len(PATCHES),
            reasons,
        )
        return
    logger.debug("a page on BokehJS %s applied its %d patches", version, len(PATCHES))
