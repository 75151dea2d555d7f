"""Bounds shared by options, widgets and plots: each is stated once, here."""

from __future__ import annotations

MAX_WINDOW_SIZE = 10_000
"""Most frames a sliding window shows: the option, the widget and the plot all
stop here (a full-history buffer keeps as many, `app.data.DEFAULT_MAX_SIZE`)."""

MAX_AUTO_PLOTS = 48
"""Most plots a session lays out by itself; the page says how many keys it left
out. More would cost every browser far more than an operator can watch."""

MAX_LAYOUT_SECONDS = 86_400.0
"""Longest time window or aggregate a layout may ask for (1 day): a longer span
holds more frames than the memory budget keeps of a key (decision 073)."""

MAX_LAYOUT_URL_CHARS = 8_000
"""Longest layout the page's URL carries (its base64url text). Tornado closes the
connection of a request whose head exceeds 64 KiB, and proxies often stop
at 8 KB; a longer layout stays in this browser (decision 073)."""
