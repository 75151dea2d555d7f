"""Starts a server process's ingestion when the process starts.

``panel serve --setup app/process_start.py`` runs this file once in every
server process, after ``--num-procs`` forked them: each process ingests from
its first moment (docs/decisions/006-one-ingestion-per-process.md), not from
its first page. The dashboard options are the ones after ``--args`` and the
``DASHBOARD_*`` environment variables, as for the pages.
"""

import gc
import logging
import os
import sys
import time
from collections.abc import Hashable

import panel as pn
from bokeh.settings import settings
from tornado.process import task_id

from app.audit import use_state_dir
from app.data import Retention
from app.ingestion.process import process_ingestion
from app.ingestion.watched import WatchedHistory
from app.options import parse_options
from app.page.custom_views import custom_views, load_views
from app.page.layout_file import LayoutError, read_layout_file
from app.page.regions import give_layout_regions
from app.roles import OperatorsError, operators_from, use_operators
from app.sign_in import SignInError, check_serving, serving_from

# panel serve configures the root handler; let the app's own INFO through it.
logging.getLogger("app").setLevel(logging.INFO)
logger = logging.getLogger("app.process_start")
arguments = sys.argv[sys.argv.index("--args") + 1 :] if "--args" in sys.argv else []
options = parse_options(arguments, os.environ)
# This script runs inside panel serve: its command line is the server's, so
# the address and the sign-in are checked before anyone can connect (079).
serving = serving_from(sys.argv, os.environ)
try:
    warning = check_serving(serving, options.no_sign_in)
    operators = operators_from(options.operators, options.operators_file)
    use_state_dir(options.state_dir).prepare()
except (SignInError, OperatorsError, OSError) as error:
    logger.critical("dashboard not started: %s", error)
    if task_id() is not None:
        # Forked by --num-procs: a process that failed would be started again
        # and again; one that ends without failure is not, and the server
        # ends with the last (`make run` checks before the port opens).
        raise SystemExit(0) from None
    raise SystemExit(f"dashboard not started: {error}") from None
use_operators(operators)
if warning:
    logger.warning("%s", warning)
elif serving.sign_in and not operators:
    logger.warning("sign-in without --operators: every user is a viewer")
# A module of views that cannot be imported stops the server here, at its start.
load_views(options.views)


def _layout_history() -> dict[Hashable, Retention]:
    """What the ``--layout`` file's plots keep, filled by a restart's restore
    before any page opens (decision 048); a file that cannot be read keeps
    nothing more (each page says what is wrong with it)."""
    if not options.layout_file:
        return {}
    try:
        return read_layout_file(options.layout_file, tuple(custom_views())).history()
    except LayoutError:
        return {}


# What the pages watched in the look-back, for a restart's restore (048).
watched = WatchedHistory(options.state_dir)
kept = _layout_history()
since_ns = time.time_ns() - round(options.lookback_s * 1e9)
for key, retention in watched.kept(since_ns).items():
    kept[key] = retention.union(kept[key]) if key in kept else retention
if options.layout_file:
    give_layout_regions(options.layout_file, options.state_dir)
process_ingestion(options, kept=kept, watched=watched)
# Every page imports the page's modules: imported here, they are among what
# the collector is told to leave alone.
from app.page.request_turns import made_at_creation  # noqa: E402
from app.page.shell import request_page  # noqa: E402

# A page's parts are made as Bokeh creates its session, a turn of the loop
# before its script puts them in the document (decision 064).
pn.state.on_session_created(made_at_creation(lambda: request_page(options)))

# Bokeh checks a page's models for integrity on every request, in which no
# other session draws (8-14 ms of it); the suite checks every kind of page the
# dashboard builds instead (tests/page/test_shell.py, decision 064).
settings.perform_document_validation.set_value(False)

# Panel's Markdown pane imports its parser and compiles its rules when first
# drawn: 86 ms of the first page's turn that adds the alarm list, in which no
# other session drew. Drawn once here, every page finds them made (064).
pn.pane.Markdown("### Alarms").get_root()

# What the process holds from its start lives as long as it does. Frozen, the
# garbage collector's full passes no longer walk it: a pass while a large page
# builds blocked every session for hundreds of ms (decision 039).
gc.freeze()
logger.info(
    "%d objects of the start-up left out of garbage collection", gc.get_freeze_count()
)
