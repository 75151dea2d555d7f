"""Bounds shared by options, widgets and plots: each is stated once, here."""

from __future__ import annotations

MAX_WINDOW_SIZE = 10_000
"""Most frames a sliding window shows: the option, the widget and the plot all
stop here (a full-history buffer keeps as many, `app.data.DEFAULT_MAX_SIZE`)."""

MAX_AUTO_PLOTS = 48
"""Most plots a session lays out by itself; the page says how many keys it left
out. More would cost every browser far more than an operator can watch."""

MAX_LAYOUT_PLOTS = 200
"""Most plots a page shows, from a layout or added by hand; a longer layout is
refused with a message naming this bound (decision 064)."""
