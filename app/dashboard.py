"""The Panel app that ``panel serve app/dashboard.py`` runs for each browser session.

The ingestion is started once per process (on the first run of this script,
at server start with ``--warm``); each run only builds one session's view.
"""

import os
import sys

import panel as pn

from app.ingestion import process_ingestion
from app.options import parse_options
from app.session import DashboardSession

options = parse_options(sys.argv[1:], os.environ)
session = DashboardSession(process_ingestion(options), options)
pn.state.onload(session.start)
pn.state.on_session_destroyed(session.close)
session.view.servable(title="Live data")
