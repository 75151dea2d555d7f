"""Time axes and hover times in the operator's local time, formatted in the browser.

Bokeh formats datetimes in UTC; the browser knows its own time zone, so ticks
and tooltips are formatted there, and the axis label names the zone
(decision 042).
"""

from __future__ import annotations

from bokeh.models import Axis, ColumnDataSource, CustomJSHover, CustomJSTickFormatter

_PARTS_JS = """
const p = (v, n = 2) => String(v).padStart(n, "0");
const date = (d) => d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate());
const hm = (d) => p(d.getHours()) + ":" + p(d.getMinutes());
const hms = (d) => hm(d) + ":" + p(d.getSeconds());
const full = (d) => date(d) + " " + hms(d) + "." + p(d.getMilliseconds(), 3);
"""

_TICK_JS = (
    _PARTS_JS
    + """
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
const label = title + " (" + zone + ")";
// The zone is known only here, in the browser: the label follows it once.
if (axis.axis_label !== label) {
  axis.axis_label = label;
}
const d = new Date(tick);
const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1000;
if (step >= 86400000) return date(d);
if (step >= 60000) return hm(d);
if (step >= 1000) return hms(d);
return hms(d) + "." + p(d.getMilliseconds(), 3);
"""
)

_HOVER_JS = _PARTS_JS + "return full(new Date(value));"

# The stacked waterfall image has equal rows from the first row's start to the
# newest row's time: the row under the cursor is found the way the image is drawn.
_ROW_HOVER_JS = (
    _PARTS_JS
    + """
const start = rows.data.start;
const time = rows.data.time;
const n = time.length;
if (n === 0) return "";
const i = Math.floor(((value - start[0]) / (time[n - 1] - start[0])) * n);
return full(new Date(time[Math.min(n - 1, Math.max(0, i))]));
"""
)


def local_time_axis(axis: Axis, title: str, name: str) -> None:
    """Make a datetime ``axis`` tick in local time, labelled ``title (zone)``."""
    axis.axis_label = title
    axis.name = name
    axis.formatter = CustomJSTickFormatter(
        args={"axis": axis, "title": title}, code=_TICK_JS
    )


def local_time_hover() -> CustomJSHover:
    """A tooltip formatter showing epoch milliseconds as local date and time."""
    return CustomJSHover(code=_HOVER_JS)


def row_time_hover(rows: ColumnDataSource) -> CustomJSHover:
    """A tooltip formatter for a waterfall's y: the local time of the row under it."""
    return CustomJSHover(args={"rows": rows}, code=_ROW_HOVER_JS)
