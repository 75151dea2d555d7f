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

MAX_LAYOUT_PLOTS = 48
"""Most plots a page shows, from a layout or added by hand (as many as the
automatic layout lays out); a longer layout is refused with a message naming
this bound. Measured on the 2-core test machine (decision 064): a page of 48
plots is in the browser within about 40 s; one of 100 was not within 15
minutes (chromium laid the growing page out again for every slice: 13.5
CPU-minutes, 2 GB); and every change of a page's plots (one removed, a view
changed) makes Bokeh walk all of its models, 0.6 s at 48 plots and 1.3-1.9 s
at 100, time in which no session of the server draws."""

DEFAULT_MAX_SESSIONS = 32
"""Sessions one server process serves unless ``--max-sessions`` says otherwise:
twice the 16 one process drew at the full frame rate before the page facts
were shared (decisions 082, 083). One more gets a page saying it is full."""

MAX_KEY_SEARCH_CHARS = 200
"""Longest search the key browser takes: a key name is shorter, and each
character costs a pass over every key's name (decision 084)."""

MAX_KEYS_LISTED = 200
"""Most keys one search lists, a page at a time; beyond it the browser asks for a
narrower search (decision 084)."""

MAX_LAYOUT_FILE_CHARS = 1_000_000
"""Longest layout file or stored layout read: `MAX_LAYOUT_PLOTS` plots take some
30 KB even with long keys; a larger text is refused unread, with a message
naming this bound (decision 084)."""

MAX_REFERENCE_VALUES = 1_048_576
"""Most values a plot's reference frame may hold (a 1024 x 1024 image, some
8 MB in the state directory): a larger frame is not kept, and the page says
so naming this bound (decision 094)."""

MAX_REFERENCES_BYTES = 256 * 2**20
"""Most bytes the state directory's kept references take together: beyond,
the least recently used go first (decision 094). Anyone may keep a
reference, so what they take of the disk is bounded here."""
