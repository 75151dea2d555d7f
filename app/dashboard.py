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
from app.ingestion.process import process_ingestion
from app.options import parse_options
from app.page import pixel_histogram
from app.page.admission import full_page, process_admission
from app.page.custom_views import load_views
from app.page.shell import open_page
from app.roles import operators_from, use_operators

# panel serve configures the root handler; let the app's own INFO through it.
logging.getLogger("app").setLevel(logging.INFO)
options = parse_options(sys.argv[1:], os.environ)
pixel_histogram.register()
# Once per process (later runs find them); process_start.py checked them first.
use_operators(operators_from(options.operators, options.operators_file))
use_state_dir(options.state_dir)
load_views(options.views)  # imported once per process: later runs find them
# A process serves at most --max-sessions pages; one more is told where to go
# instead of slowing every page down (decision 083).
ticket = process_admission(options.max_sessions).admit()
if ticket is None:
    full_page(options.max_sessions).servable(title="Dashboard full")
else:
    pn.state.on_session_destroyed(ticket.release)
    # Bokeh walks the whole document after each root or reference added unless
    # frozen: one walk at the end instead of eight, in the page's request.
    with pn.state.curdoc.models.freeze():
        page = open_page(process_ingestion(options), options)[1]
        page.server_doc()
    # The page frame's title is HTML for the header; the tab reads it as text.
    pn.state.curdoc.title = html.unescape(page.title)
