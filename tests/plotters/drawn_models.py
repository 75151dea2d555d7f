"""What a plot shows the page, read from its Bokeh models as the browser gets them."""

from bokeh.models import ColorBar

from app.plotters import Plotter


def colour_bar(plotter: Plotter) -> ColorBar:
    """The colour bar beside a plot's image: its mapper is the colour range shown."""
    (bar,) = [r for r in plotter.root.right if isinstance(r, ColorBar)]
    return bar
