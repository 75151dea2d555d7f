"""Starts a server process's ingestion when the process starts.

``panel serve --setup app/process_start.py`` runs this file once in every
server process, after ``--num-procs`` forked them: each process ingests from
its first moment (docs/decisions/006-one-ingestion-per-process.md), not from
its first page. The dashboard options are the ones after ``--args`` and the
``DASHBOARD_*`` environment variables, as for the pages.
"""

import logging
import os
import sys

from app.ingestion.process import process_ingestion
from app.options import parse_options
from app.page.custom_views import load_views

# panel serve configures the root handler; let the app's own INFO through it.
logging.getLogger("app").setLevel(logging.INFO)
arguments = sys.argv[sys.argv.index("--args") + 1 :] if "--args" in sys.argv else []
options = parse_options(arguments, os.environ)
# A module of views that cannot be imported stops the server here, at its start.
load_views(options.views)
process_ingestion(options)
