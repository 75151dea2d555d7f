"""Built pages are frozen out of full collections and swept once closed (102).

The collector acts on the interpreter's garbage collector, so each case runs
in an interpreter of its own: the suite's process keeps its collector as it
was.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from app.page.collector import LONGEST_WAIT_S, SWEEP_DELAY_S
from app.testing.local_server import REPO

PAGES = """
import gc, json, weakref
from app.page.collector import PageCollector

class Model:  # stands for a page's Bokeh and Panel objects: cycles
    pass

def page(objects):
    first = Model()
    node = first
    for _ in range(objects):
        node.next = Model()
        node = node.next
    node.next = first  # a cycle, as a closed page's models are
    return first

def tracked(obj):
    return any(o is obj for o in gc.get_objects())

later = []  # the collector's delayed checks, run by the test: (delay, due, action)
now = [0.0]  # the collector's clock, moved on to each check's time
collector = PageCollector(
    schedule=lambda delay, action: later.append((delay, now[0] + delay, action)),
    clock=lambda: now[0],
)
seen = {}

def run_later():
    # The checks due, and those they schedule, in turn: their delays.
    delays = []
    while later:
        delay, due, action = later.pop(0)
        delays.append(delay)
        now[0] = due
        action()
    return delays
"""


def run(steps: str) -> dict:
    """Run `steps` after `PAGES` in a fresh interpreter; its JSON `seen`."""
    code = PAGES + textwrap.dedent(steps) + "\nprint(json.dumps(seen))\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_a_built_page_is_left_out_of_full_collections() -> None:
    seen = run(
        """
        a = page(1000)
        seen["tracked before"] = tracked(a)
        collector.built("a", plots=3)
        seen["tracked after"] = tracked(a)
        later = page(10)
        seen["later tracked"] = tracked(later)
        """
    )
    assert seen == {
        "tracked before": True,
        "tracked after": False,
        "later tracked": True,
    }


def test_a_closed_page_waits_for_a_quarter_then_goes_with_the_last() -> None:
    seen = run(
        """
        a, b = page(1000), page(1000)
        gone_a, gone_b = weakref.ref(a), weakref.ref(b)
        collector.built("a", plots=3)
        collector.built("b", plots=20)
        del a, b
        gc.collect()
        seen["frozen garbage kept"] = gone_a() is not None
        # a: 4 of 25 frozen plots closed, under a quarter: no sweep.
        collector.closed("a")
        seen["checked after"] = run_later()
        gc.collect()
        seen["a kept while b is open"] = gone_a() is not None
        collector.closed("b")
        seen["checked after, then"] = run_later()
        seen["a freed"] = gone_a() is None
        seen["b freed"] = gone_b() is None
        seen["sweeps"] = collector.sweeps
        """
    )
    assert seen == {
        "frozen garbage kept": True,
        "checked after": [1.0],
        "a kept while b is open": True,
        "checked after, then": [1.0],
        "a freed": True,
        "b freed": True,
        "sweeps": 1,
    }


def test_pages_closed_together_are_swept_once() -> None:
    seen = run(
        """
        pages = {name: page(1000) for name in "abc"}
        gone = [weakref.ref(p) for p in pages.values()]
        for name in pages:
            collector.built(name, plots=5)
        pages.clear()
        for name in "abc":
            collector.closed(name)
        seen["checks"] = run_later()
        seen["freed"] = [ref() is None for ref in gone]
        seen["sweeps"] = collector.sweeps
        """
    )
    assert seen == {"checks": [1.0], "freed": [True, True, True], "sweeps": 1}


def test_closed_pages_a_quarter_of_the_frozen_are_swept_while_others_stay_open() -> (
    None
):
    seen = run(
        """
        a, b = page(1000), page(1000)
        gone_a, kept_b = weakref.ref(a), weakref.ref(b)
        collector.built("a", plots=10)
        collector.built("b", plots=10)
        del a
        collector.closed("a")  # 11 of 22 frozen plots
        run_later()
        seen["a freed"] = gone_a() is None
        seen["b kept"] = kept_b() is b
        seen["b frozen again"] = not tracked(b)
        """
    )
    assert seen == {"a freed": True, "b kept": True, "b frozen again": True}


def test_a_builds_garbage_in_cycles_is_not_frozen() -> None:
    # Models made and replaced while a page is built are garbage in cycles;
    # those that reached the old generation before the freeze would be kept
    # until a sweep.
    seen = run(
        """
        replaced = page(100)
        gone = weakref.ref(replaced)
        gc.collect(1)  # survived twice: in the old generation
        del replaced
        collector.built("a", plots=1)
        seen["freed"] = gone() is None
        """
    )
    assert seen == {"freed": True}


def test_a_sweep_waits_while_a_page_is_built() -> None:
    # A sweep holds the loop for a full pass: not while a page is built,
    # unless that goes on for LONGEST_WAIT_S.
    seen = run(
        """
        a = page(1000)
        gone = weakref.ref(a)
        collector.built("a", plots=3)
        del a
        collector.building("b")  # another page is being built meanwhile
        collector.built("b", plots=1)
        collector.closed("a")
        delay, due, check = later.pop(0)
        now[0] = due
        check()
        seen["a kept while b builds"] = gone() is not None
        collector.done("b")
        seen["checks after b is done"] = run_later()
        seen["a freed"] = gone() is None
        c = page(1000)
        gone = weakref.ref(c)
        collector.built("c", plots=3)
        del c
        collector.building("d")  # and never done
        closed_at = now[0]
        collector.closed("c")
        seen["checks while d builds"] = len(run_later())
        seen["c freed"] = gone() is None
        seen["swept after"] = now[0] - closed_at  # the delay and the longest wait
        """
    )
    assert seen == {
        "a kept while b builds": True,
        "checks after b is done": [1.0],
        "a freed": True,
        "checks while d builds": LONGEST_WAIT_S / SWEEP_DELAY_S + 1,
        "c freed": True,
        "swept after": LONGEST_WAIT_S + SWEEP_DELAY_S,
    }


def test_a_sweep_waits_for_no_opening_once_closed_pages_pile_up() -> None:
    # Pages closing while others keep opening (a churn): waiting would pile
    # their garbage up into one long sweep and a higher peak of memory.
    seen = run(
        """
        from app.page.collector import (
            WAITS_FOR_AT_MOST_PAGES, WAITS_FOR_AT_MOST_PLOTS,
        )
        def closed_while_d_opens(pages, plots):
            built = {name: page(100) for name in range(pages)}
            gone = [weakref.ref(p) for p in built.values()]
            for name in built:
                collector.built(name, plots=plots)
            built.clear()
            collector.building("d")  # and never done
            for name in range(pages):
                collector.closed(name)
            checks = run_later()
            return len(checks), all(ref() is None for ref in gone)
        seen["many"] = closed_while_d_opens(WAITS_FOR_AT_MOST_PAGES + 1, 1)
        seen["large"] = closed_while_d_opens(1, WAITS_FOR_AT_MOST_PLOTS)
        seen["few, small"] = closed_while_d_opens(WAITS_FOR_AT_MOST_PAGES, 1)[0] > 1
        """
    )
    assert seen == {"many": [1, True], "large": [1, True], "few, small": True}
