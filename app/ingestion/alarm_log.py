"""The alarm log: each alarm transition one line in the log and in a file.

``alarms.jsonl`` in the state directory (``--state-dir``) gets one JSON object
a line (time, key, from, to, value, limit, process), only ever appended to,
by every server process alike, as the audit file is (decision 081).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from app.audit import append_line, utc_text

if TYPE_CHECKING:
    from app.ingestion.alarms import Transition

logger = logging.getLogger(__name__)

ALARM_LOG_FILE = "alarms.jsonl"


class AlarmLog:
    """Writes transitions to the server's log and ``state_dir/alarms.jsonl``.

    Parameters
    ----------
    state_dir:
        The state directory; None logs them and keeps no file (tests and
        benchmarks that never say where).
    """

    def __init__(self, state_dir: str | Path | None) -> None:
        self.path = None if state_dir is None else Path(state_dir) / ALARM_LOG_FILE

    def record(self, transition: Transition) -> None:
        """Log one transition and append it to the file."""
        level = logging.INFO if transition.new == "ok" else logging.WARNING
        logger.log(level, "%s", transition.line())
        if self.path is None:
            return
        entry = {
            "time": utc_text(transition.at_ns),
            "key": str(transition.key),
            "from": transition.old,
            "to": transition.new,
            "value": transition.value,
            "limit": transition.limit,
            "process": os.getpid(),
        }
        try:
            append_line(self.path, (json.dumps(entry) + "\n").encode())
        except OSError as error:
            # The log line above still holds the transition.
            logger.error("alarm log %s: %s", self.path, error)
