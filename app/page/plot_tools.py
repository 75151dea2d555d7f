"""A card's tools for what its plot shows: files to take away, a reference.

Data out (decision 093): CSV of 0-D and 1-D data, HDF5 of any, each made
when clicked from what the plot shows now (`Plotter.shown`) and named after
key, view and the newest data's time; PNG is the plot toolbar's save, whose
file the plotter names alike. A reference (decision 094): "keep as
reference" pins the frame a line or image draws now; "drop reference" ends it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import panel as pn

from app.plot_spec import AGGREGATE, LATEST, SPECTRUM, VALUE, PlotSpec
from app.plotters import Plotter
from app.plotters.data_out import as_data_array, csv_text, file_stem, hdf5_bytes

logger = logging.getLogger(__name__)

CSV, HDF5 = "csv", "h5"

COMPACT_CSS = (
    ".bk-btn, .bk-btn a { padding: 0 6px; font-size: 12px; line-height: 22px;"
    " height: 24px; }"
)


def _compact() -> dict[str, object]:
    # Low buttons with small text: the tools' row takes little of the card.
    # A style sheet given as text goes with the widget, no model of its own.
    return {"height": 24, "margin": (2, 4), "stylesheets": [COMPACT_CSS]}


def takes_csv(kind: str | None, spec: PlotSpec) -> bool:
    """Whether a plot shows 0-D or 1-D data, which a CSV table holds: a value in
    any view (a window of values is a 1-D series), a spectrum's latest frame
    or aggregate. Windows of spectra and custom views go out as HDF5."""
    return kind == VALUE or (kind == SPECTRUM and spec.view in (LATEST, AGGREGATE))


def plot_tools(
    spec: PlotSpec,
    kind: str | None,
    plotter: Plotter,
    *,
    keep: Callable[[], None],
    drop: Callable[[], None],
) -> list[pn.viewable.Viewable]:
    """The card's data-out and reference controls for ``plotter``'s plot of ``spec``.

    ``keep`` pins the frame shown as the plot's reference and ``drop`` ends
    it (the session's actions); only plots that show references offer them.
    """
    plotter.file_view = spec.view
    tools = []
    if takes_csv(kind, spec):
        tools.append(
            _download(spec, plotter, CSV, lambda data: csv_text(data).encode())
        )
    tools.append(_download(spec, plotter, HDF5, hdf5_bytes))
    if getattr(plotter, "keeps_reference", False):
        pinned = spec.reference is not None
        button = pn.widgets.Button(
            label="drop reference" if pinned else "keep as reference",
            width=130,
            **_compact(),
            # No tooltip: its model would cost every card one more.
            css_classes=["drop-reference" if pinned else "keep-reference"],
        )
        button.on_click(lambda event: (drop if pinned else keep)())
        tools.append(button)
    return tools


def _download(
    spec: PlotSpec,
    plotter: Plotter,
    suffix: str,
    write: Callable[..., bytes],
) -> pn.widgets.FileDownload:
    """A download of what ``plotter`` shows, written by ``write`` when clicked."""
    widget = pn.widgets.FileDownload(
        label=suffix.upper() if suffix == CSV else "HDF5",
        filename=f"{file_stem(spec.key, spec.view, None)}.{suffix}",
        width=60,
        color="light",
        **_compact(),
        css_classes=[f"download-{suffix}"],
    )

    def made() -> io.BytesIO:
        value = plotter.shown
        # Named now, after the data it holds: the browser reads the name
        # after this callback.
        widget.filename = f"{file_stem(spec.key, spec.view, plotter.shown_ns)}.{suffix}"
        if value is None:
            return io.BytesIO(b"")  # no data yet: an empty file, named no-time
        try:
            return io.BytesIO(write(as_data_array(value, spec.key)))
        except Exception:  # what one key sends must not break the page
            logger.exception("key %r: cannot write its %s", spec.key, suffix)
            return io.BytesIO(b"")

    widget.callback = made
    return widget
