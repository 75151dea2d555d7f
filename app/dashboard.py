"""The Panel app that ``panel serve app/dashboard.py`` runs for each browser session.

The ingestion is started once per process (on the first run of this script,
at server start with ``--warm``); each run only builds one session's page.
"""

import html
import logging
import os
import sys

import panel as pn

from app.audit import use_state_dir
from app.options import parse_options
from app.page import pixel_histogram
from app.page.custom_views import load_views
from app.page.page_frame import PageFrame
from app.page.request_turns import take_made
from app.page.shell import request_page
from app.roles import operators_from, use_operators

# panel serve configures the root handler; let the app's own INFO through it.
logging.getLogger("app").setLevel(logging.INFO)
options = parse_options(sys.argv[1:], os.environ)
pixel_histogram.register()
# Once per process (later runs find them); process_start.py checked them first.
use_operators(operators_from(options.operators, options.operators_file))
use_state_dir(options.state_dir)
load_views(options.views)  # imported once per process: later runs find them
# Made as Bokeh created the session, a turn of the server's loop before this
# script (decision 064); made here when it was not (the first run, a failure).
page = take_made(pn.state.curdoc)
if page is None:
    page = request_page(options)
if isinstance(page, PageFrame):
    # Bokeh walks the whole document after each root or reference added unless
    # frozen: one walk at the end instead of eight, in the page's request.
    with pn.state.curdoc.models.freeze():
        page.server_doc()
    # The page frame's title is HTML for the header; the tab reads it as text.
    pn.state.curdoc.title = html.unescape(page.title)
else:  # a process serves at most --max-sessions pages (decision 083)
    page.servable(title="Dashboard full")
