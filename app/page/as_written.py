"""Whether a library's function is the one a patch of ours was written for.

The page patches four of Bokeh 3.9's functions and one of Panel 1.9's for
speed (decisions 049, 103, 104, 105 and 107). Each patch is put in place
only where the function's source still holds the lines it replaces;
elsewhere the library is left as it is and a warning says what the page does
without the patch. pyproject pins the minor, and a test of each patch fails
where it is not in place.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


def as_written(
    library: str,
    name: str,
    without: str,
    *expected: tuple[Callable[..., Any], str],
) -> bool:
    """Whether each function's source holds its expected text.

    Parameters
    ----------
    library:
        Whose function it is (``"bokeh"``, ``"panel"``), named in the warning.
    name:
        The function named in the warning, e.g. ``"Serializer"``.
    without:
        What the page does without the patch, said in the warning.
    expected:
        Pairs of a function and the text its source must hold.
    """
    if all(text in inspect.getsource(function) for function, text in expected):
        return True
    logger.warning("%s's %s is not the one written for: %s", library, name, without)
    return False
