"""Status texts that change in place: a new text of the same size does not make
BokehJS lay out the page again (decision 063)."""

from __future__ import annotations

from bokeh.models import CustomJS

IN_PLACE = "text-in-place"
"""The tag of a `Div` whose changes are all text changes, shown in place."""

# BokehJS re-renders a Div on any change of its model and then computes the
# layout of the Div's whole root: every view of it measured again. Measured in a
# tab slowed 20x, the status line, the pill and the frames note cost a quarter
# of its main thread that way, once per change. A Div tagged `IN_PLACE` gets its
# new text written into the element it shows; only if that changes the size
# of the Div's box is the layout computed, as before. Such a Div changes its text
# only (its other properties are set before it is shown). Texts shown in place
# and those laid out again are counted on the prototype (`_texts_in_place`,
# `_texts_relaid`) for tests and profiles. Runs once per page;
# an unknown BokehJS keeps its re-renders and says so in the console.
TEXT_IN_PLACE_JS = """
try {
  const div = Bokeh.require("models/widgets/div").DivView.prototype;
  if (!div._text_in_place) {
    const rerender = div.rerender;
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
        div._texts_relaid = (div._texts_relaid || 0) + 1;
        rerender.call(this);
      } else {
        div._texts_in_place = (div._texts_in_place || 0) + 1;
      }
    };
    div._text_in_place = true;
  }
} catch (error) {
  console.warn("texts keep BokehJS's re-renders:", error);
}
"""


def text_in_place() -> CustomJS:
    """A callback that makes this page's tagged Divs change their text in place."""
    return CustomJS(args={"tag": IN_PLACE}, code=TEXT_IN_PLACE_JS)
