"""What every page of a process shows alike, computed once per period (decision 082).

The status line, the pill's process-wide half and the key browser's details
read the same process-wide facts in every session: the ingestion's counters,
the memory figures, the losses of the last 30 s, which keys are stale, each
key's rate and age. Each session computed them for itself once a second;
`PageFacts` computes them once per period for all, and a session only applies
them (and sends a text only when it changed).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from dataclasses import dataclass, field

from app.data import MemoryStats
from app.ingestion.alarms import AlarmsView
from app.ingestion.process import Ingestion, IngestionSnapshot
from app.page.alarm_list import alarm_list_text
from app.page.key_browser import KeyDetails
from app.page.status import (
    LOSSES_REMEMBERED_NS,
    LossWindow,
    format_status,
    loss_totals,
)

FACTS_PERIOD_NS = 1_000_000_000
"""How long one set of facts serves every page: the status changes once a second."""


@dataclass(eq=False)
class PeriodFacts:
    """One period's facts, shared by every session of the process.

    Parameters
    ----------
    period:
        Which period (`now_ns // FACTS_PERIOD_NS`) they are for.
    now_ns:
        When they were read (wall clock, as arrivals are stamped).
    snapshot:
        The ingestion's counters.
    memory:
        The memory budget and what it trimmed.
    status_text:
        The status line.
    on_change:
        Keys that publish on change while their source is connected: quiet,
        not stale (decision 076).
    lost:
        What the process lost in the last 30 s, per reason (decision 071);
        a session adds the frames its own browser skipped.
    """

    period: int
    now_ns: int
    snapshot: IngestionSnapshot
    memory: MemoryStats
    status_text: str
    on_change: frozenset[Hashable]
    lost: dict[str, int]
    _ingestion: Ingestion
    _stale: dict[Hashable, bool] = field(default_factory=dict)

    def stale(self, key: Hashable) -> bool:
        """Whether `key`'s newest value is older than it usually gets (070).

        Judged once per period and key, whichever session asks first.
        """
        stale = self._stale.get(key)
        if stale is None:
            arrival = self._ingestion.activity.get(key)
            stale = (
                key not in self.on_change
                and arrival is not None
                and arrival.stale(self.now_ns)
            )
            self._stale[key] = stale
        return stale


class PageFacts:
    """The facts of a process's pages, read once per period, thread-safe.

    Sessions run on one event loop, but a server with ``--num-threads`` runs
    their callbacks on several threads: the facts of a period are computed
    under a lock, once.
    """

    def __init__(
        self,
        ingestion: Ingestion,
        period_ns: int = FACTS_PERIOD_NS,
        remembered_ns: int = LOSSES_REMEMBERED_NS,
    ) -> None:
        self._ingestion = ingestion
        self._period_ns = period_ns
        self._lock = threading.Lock()
        self._facts: PeriodFacts | None = None
        self._losses = LossWindow(remembered_ns)
        self.key_details = KeyDetails(
            ingestion.data_service.catalog, ingestion.activity, period_ns=period_ns
        )
        self.computed = 0
        """How many periods' facts were computed (tests count them)."""
        self._alarm_text: tuple[AlarmsView, str] | None = None
        # The message rate shown, and the counters it is measured from next.
        self._rate: tuple[float | None, IngestionSnapshot | None] = (None, None)

    def alarm_text(self, alarms: AlarmsView) -> str:
        """The sidebar's Alarms list of ``alarms``, made once per change of
        the alarms for every page (a change shows at the next frame, not at
        the next period)."""
        made = self._alarm_text
        if made is not None and made[0] is alarms:
            return made[1]
        with self._lock:
            made = self._alarm_text
            if made is None or made[0] is not alarms:
                text = alarm_list_text(alarms, self._ingestion.alarms.note)
                made = self._alarm_text = (alarms, text)
            return made[1]

    def at(self, now_ns: int) -> PeriodFacts:
        """The facts of the period that holds `now_ns`, read on its first ask."""
        period = now_ns // self._period_ns
        facts = self._facts
        if facts is not None and facts.period == period:
            return facts
        with self._lock:
            facts = self._facts
            if facts is None or facts.period != period:
                facts = self._facts = self._read(period, now_ns)
            return facts

    def _read(self, period: int, now_ns: int) -> PeriodFacts:
        self.computed += 1
        ingestion = self._ingestion
        snapshot = ingestion.snapshot()
        memory = ingestion.data_service.memory_stats()
        rate = self._measure_rate(snapshot)
        source = snapshot.source
        return PeriodFacts(
            period=period,
            now_ns=now_ns,
            snapshot=snapshot,
            memory=memory,
            status_text=format_status(snapshot, rate, memory),
            on_change=source.on_change_keys if source.connected else frozenset(),
            lost=self._losses.recent(snapshot.at_ns, loss_totals(snapshot)),
            _ingestion=ingestion,
        )

    def _measure_rate(self, snapshot: IngestionSnapshot) -> float | None:
        """Messages a second since the counters read at least half a period
        before; until then, the rate shown last. Periods are read when first
        asked: two reads either side of a period's start can be milliseconds
        apart, and a 5 Hz source then read "0.0 msg/s" for a second."""
        rate, base = self._rate
        if base is None:
            base = snapshot
        elif snapshot.at_ns - base.at_ns >= self._period_ns // 2:
            seconds = (snapshot.at_ns - base.at_ns) / 1e9
            rate = (snapshot.applied - base.applied) / seconds
            base = snapshot
        self._rate = (rate, base)
        return rate


_BY_INGESTION: weakref.WeakKeyDictionary[Ingestion, PageFacts] = (
    weakref.WeakKeyDictionary()
)
_BY_INGESTION_LOCK = threading.Lock()


def page_facts(
    ingestion: Ingestion, remembered_ns: int = LOSSES_REMEMBERED_NS
) -> PageFacts:
    """The one `PageFacts` of `ingestion`, shared by all its sessions; the
    first session's options say how long losses are remembered."""
    with _BY_INGESTION_LOCK:
        facts = _BY_INGESTION.get(ingestion)
        if facts is None:
            facts = _BY_INGESTION[ingestion] = PageFacts(
                ingestion, remembered_ns=remembered_ns
            )
        return facts
