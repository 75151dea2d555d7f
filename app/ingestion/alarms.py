"""Alarms: each 0-D key with limits judged as its values are written (decision 095).

`AlarmWatch` is a `DataSink` in front of the ingestion's other sinks: every
value the ingestion applies passes through it once, whether or not a browser
is open. A key without limits costs one dictionary lookup; a key with limits
is judged against them, and each change of its state (``ok``, ``warn``,
``alarm``, ``stale``) is a `Transition`: one line in the server's log and one
in the alarm log (`app.ingestion.alarm_log`). The ingestion thread calls
`AlarmWatch.tick` every period, so a key that falls silent turns stale and a
grace time ends without a new value.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from app.alarm_limits import AlarmLimits, merged_limits, store_limits
from app.data.sink import DataSink
from app.durations import format_seconds
from app.ingestion.alarm_log import AlarmLog
from app.shared_state import Document, SharedState
from app.sources.throttled_log import ThrottledLog

logger = logging.getLogger(__name__)

OK, WARN, ALARM, STALE = "ok", "warn", "alarm", "stale"
"""A key's alarm states; `STALE` is its silence, judged apart from its value."""
_RANK = {OK: 0, WARN: 1, ALARM: 2, STALE: 0}

RECENT_TRANSITIONS = 50
"""Transitions the page lists, newest first."""
TICK_PERIOD_NS = 200_000_000
"""How often `AlarmWatch.tick` looks at silences and grace times at most."""
ACKNOWLEDGED_STATE = "alarms-acknowledged.json"
"""The shared state file of when each key's alarm was last acknowledged."""
INSIDE = "inside"
"""The limit of a transition back to ``ok``."""


@dataclass(frozen=True)
class Transition:
    """One change of a key's state: when, which key, from and to, why.

    ``limit`` names the bound crossed (``alarm_high 305``), the silence
    (``no data for 30 s``) or `INSIDE`.
    """

    at_ns: int
    key: Hashable
    old: str
    new: str
    value: float | None
    limit: str

    def line(self) -> str:
        """The transition as the server's log says it."""
        value = "no value" if self.value is None else f"value {self.value:g}"
        return f"alarm: {self.key!r} {self.old} -> {self.new}: {value}, {self.limit}"


@dataclass(frozen=True)
class KeyAlarm:
    """A key that is not ``ok``, as the page shows it."""

    key: Hashable
    state: str
    value: float | None
    limit: str
    since_ns: int
    acknowledged: bool = False

    def describe(self) -> str:
        """``log/t 306.2 (alarm_high 305)``: the key, its value and the limit."""
        value = "no value" if self.value is None else f"{self.value:.6g}"
        return f"{self.key} {value} ({self.limit})"


@dataclass(frozen=True)
class AlarmsView:
    """What the page reads, replaced whole on each change: no lock to read it.

    Parameters
    ----------
    version:
        Counts changes: a page redraws its list only when it differs.
    active:
        Keys not ``ok``, by key.
    recent:
        The latest `RECENT_TRANSITIONS` transitions, newest first.
    limits:
        The limits in force, by key.
    """

    version: int = 0
    active: Mapping[Hashable, KeyAlarm] = field(
        default_factory=lambda: MappingProxyType({})
    )
    recent: tuple[Transition, ...] = ()
    limits: Mapping[Hashable, AlarmLimits] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def worst(self) -> str:
        """The worst state of any key (`ALARM` before `STALE` before `WARN`)."""
        states = {alarm.state for alarm in self.active.values()}
        for state in (ALARM, STALE, WARN):
            if state in states:
                return state
        return OK


def judge(limits: AlarmLimits, value: float, deadband: float = 0.0) -> tuple[str, str]:
    """The state of ``value`` and the bound it crossed, each bound moved
    ``deadband`` inwards (the test for leaving a state)."""
    for kind in (ALARM, WARN):
        high = getattr(limits, f"{kind}_high")
        if high is not None and value > high - deadband:
            return kind, f"{kind}_high {high:g}"
        low = getattr(limits, f"{kind}_low")
        if low is not None and value < low + deadband:
            return kind, f"{kind}_low {low:g}"
    return OK, INSIDE


@dataclass
class _KeyState:
    """One key's limits and where it stands (the ingestion thread's own)."""

    limits: AlarmLimits
    last_ns: int
    state: str = OK
    limit: str = INSIDE
    value: float | None = None
    since_ns: int = 0
    pending_since_ns: int | None = None
    acknowledged: bool = False

    def target(self, value: float) -> tuple[str, str]:
        """Where ``value`` takes the key: worse at once past a bound, better
        only once inside by the deadband (hysteresis)."""
        plain, plain_limit = judge(self.limits, value)
        current = _RANK[self.state]
        if _RANK[plain] >= current:
            return plain, plain_limit
        held, held_limit = judge(self.limits, value, self.limits.deadband)
        if _RANK[held] >= current:
            return self.state, self.limit
        if _RANK[held] > _RANK[plain]:
            return held, held_limit
        return plain, plain_limit


def scalar_of(value: Any) -> float | None:
    """The number a 0-D value holds; None for anything else."""
    if getattr(value, "ndim", None) != 0:
        return None
    try:
        number = float(value.value)
    except (AttributeError, TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class AlarmWatch:
    """Judges the values of keys with limits on their way into ``sink``.

    Written by the ingestion thread; `set_limits` (the shared state's watch
    thread) and `acknowledge` (a page) come from others, so a key's judgement
    holds a lock that no reader of `view` ever waits on.

    Parameters
    ----------
    sink:
        Where every value goes on to, first (a value it refuses is not judged).
    log:
        Where each transition is written.
    clock_ns:
        This host's time in ns since the epoch; replaceable in tests.
    """

    def __init__(
        self,
        sink: DataSink[Hashable],
        log: AlarmLog | None = None,
        clock_ns: Callable[[], int] = time.time_ns,
    ) -> None:
        self._sink = sink
        self._log = log if log is not None else AlarmLog(None)
        self._clock_ns = clock_ns
        self._keys: dict[Hashable, _KeyState] = {}
        self._lock = threading.Lock()
        self._recent: deque[Transition] = deque(maxlen=RECENT_TRANSITIONS)
        self._view = AlarmsView()
        self._next_tick_ns = 0
        self._throttled = ThrottledLog(logger)
        self.note = ""
        """Why limits the operator gave are not in force (a refused file)."""
        self._from_file: Mapping[Hashable, AlarmLimits] = {}
        self._shared: SharedState | None = None
        self._acknowledged: SharedState | None = None

    @property
    def view(self) -> AlarmsView:
        """The states, the recent transitions and the limits, as of now."""
        return self._view

    def transaction(self) -> AbstractContextManager[Any]:
        """The sink's transaction."""
        return self._sink.transaction()

    def __setitem__(self, key: Hashable, value: Any) -> None:
        self._sink[key] = value
        state = self._keys.get(key)
        if state is None:
            return
        number = scalar_of(value)
        if number is None:
            self._throttled.warning(
                key, "key %r has limits but its value is not a 0-D number", key
            )
            return
        with self._lock:
            now_ns = self._clock_ns()
            state.last_ns = now_ns
            if self._judge(key, state, number, now_ns):
                self._publish()

    def set_limits(self, limits: Mapping[Hashable, AlarmLimits]) -> None:
        """Judge the keys of ``limits`` from now on, and no others.

        A key keeps its state through a change of its limits and is judged
        again at once against the new ones with its last value; a key whose
        limits are gone while not ``ok`` goes back to ``ok``.
        """
        with self._lock:
            now_ns = self._clock_ns()
            changed = False
            for key in list(self._keys):
                if key not in limits:
                    state = self._keys.pop(key)
                    if state.state != OK:
                        self._move(key, state, OK, "limits removed", now_ns)
                    changed = True
            for key, new in limits.items():
                state = self._keys.get(key)
                if state is None:
                    self._keys[key] = _KeyState(new, last_ns=now_ns, since_ns=now_ns)
                    changed = True
                elif state.limits != new:
                    state.limits = new
                    state.pending_since_ns = None
                    if state.value is not None and state.state != STALE:
                        self._judge(key, state, state.value, now_ns)
                    changed = True
            if changed:
                self._publish()

    def follow(
        self,
        from_file: Mapping[Hashable, AlarmLimits],
        shared: SharedState,
        acknowledged: SharedState | None = None,
    ) -> None:
        """Judge ``from_file``'s limits, each key replaced by what operators
        keep in ``shared`` (decision 096), as it changes on any process; and
        take the acknowledgements other processes keep in ``acknowledged``
        (decision 097)."""
        self._from_file, self._shared = dict(from_file), shared
        shared.watch(lambda document: self.set_limits(self._merged(document)))
        if acknowledged is not None:
            self._acknowledged = acknowledged
            acknowledged.watch(self._take_acknowledgements)

    def store(self, key: Hashable, limits: AlarmLimits) -> None:
        """Keep ``limits`` as what operators set for ``key`` and judge them now.

        Kept in the followed shared state, for every process and beyond a
        restart; this process's own change is applied here (its watch sees
        only other processes' changes).
        """
        if self._shared is None:
            self.set_limits({**self._view.limits, key: limits})
            return
        document = store_limits(self._shared, key, limits)
        self.set_limits(self._merged(document))

    def _merged(self, document: Document) -> dict[Hashable, AlarmLimits]:
        return merged_limits(self._from_file, document)

    def acknowledge(self, key: Hashable) -> bool:
        """Acknowledge ``key``'s warning, alarm or silence; False if it has none
        (or it was acknowledged already). It stays listed until back ``ok``."""
        with self._lock:
            state = self._keys.get(key)
            if state is None or state.state == OK or state.acknowledged:
                return False
            state.acknowledged = True
            self._publish()
        if self._acknowledged is not None:
            at_ns = self._clock_ns()

            def change(document: Document) -> Document:
                document[str(key)] = at_ns
                return document

            self._acknowledged.update(change)
        return True

    def _take_acknowledgements(self, document: Document) -> None:
        """Acknowledge each key whose state began before another process's
        acknowledgement of it (each process judges, and so times, its own)."""
        with self._lock:
            changed = False
            for key, state in self._keys.items():
                at_ns = document.get(str(key))
                if (
                    isinstance(at_ns, int)
                    and state.state != OK
                    and not state.acknowledged
                    and state.since_ns <= at_ns
                ):
                    state.acknowledged = changed = True
            if changed:
                self._publish()

    def tick(self) -> None:
        """Turn silent keys stale and end grace times (the ingestion thread,
        every period); looks at most every `TICK_PERIOD_NS`."""
        now_ns = self._clock_ns()
        if now_ns < self._next_tick_ns:
            return
        self._next_tick_ns = now_ns + TICK_PERIOD_NS
        with self._lock:
            changed = False
            for key, state in self._keys.items():
                stale_s = state.limits.stale_s
                if (
                    stale_s is not None
                    and state.state != STALE
                    and now_ns - state.last_ns > stale_s * 1e9
                ):
                    limit = f"no data for {format_seconds(stale_s)}"
                    self._move(key, state, STALE, limit, now_ns)
                    changed = True
                elif state.pending_since_ns is not None and state.value is not None:
                    changed |= self._judge(key, state, state.value, now_ns)
            if changed:
                self._publish()

    def _judge(
        self, key: Hashable, state: _KeyState, value: float, now_ns: int
    ) -> bool:
        """Judge one value; True if the key's state changed."""
        state.value = value
        # After a silence (`STALE` ranks as `OK`) a value is judged afresh.
        target, limit = state.target(value)
        if target == state.state:
            state.pending_since_ns = None
            state.limit = limit if target != OK else INSIDE
            return False
        if _RANK[target] > _RANK[state.state]:
            if state.pending_since_ns is None:
                state.pending_since_ns = now_ns
            if now_ns - state.pending_since_ns < state.limits.grace_s * 1e9:
                return False
        self._move(key, state, target, limit, now_ns)
        return True

    def _move(
        self, key: Hashable, state: _KeyState, new: str, limit: str, now_ns: int
    ) -> None:
        transition = Transition(now_ns, key, state.state, new, state.value, limit)
        if _RANK[new] > _RANK[state.state] or new in (OK, STALE):
            # Worse, silent or over: what was acknowledged is not this.
            state.acknowledged = False
        state.state, state.limit, state.since_ns = new, limit, now_ns
        state.pending_since_ns = None
        self._recent.appendleft(transition)
        self._log.record(transition)

    def _publish(self) -> None:
        active = {
            key: KeyAlarm(
                key,
                state.state,
                state.value,
                state.limit,
                state.since_ns,
                state.acknowledged,
            )
            for key, state in self._keys.items()
            if state.state != OK
        }
        limits = {key: state.limits for key, state in self._keys.items()}
        self._view = AlarmsView(
            version=self._view.version + 1,
            active=MappingProxyType(active),
            recent=tuple(self._recent),
            limits=MappingProxyType(limits),
        )

    def __iter__(self) -> Iterator[Hashable]:
        return iter(list(self._keys))
