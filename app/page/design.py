"""The page's design: Panel's Fast design with nothing fetched from elsewhere.

Fast links Open Sans from Google's font service on every page load. On a
control room's network that request can hold the page's load until it times
out, and it tells a third party who opens the dashboard (decision 078). The
page uses the operating system's own sans-serif fonts instead; every other
resource Panel and Bokeh need is served by the dashboard itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

from panel.theme import fast

SYSTEM_FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', "
    "'Helvetica Neue', Arial, sans-serif"
)
"""The page's text: the fonts each computer already has."""


class Fast(fast.Fast):
    """Panel's Fast design without the web font it links from another origin.

    Named as Panel's: Panel finds a design's own files (its JavaScript module)
    under the lower-cased class name, and these are Fast's.
    """

    _resources: ClassVar[dict[str, Any]] = {**fast.Fast._resources, "font": {}}
