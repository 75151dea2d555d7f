"""The one ingestion of a server process: source -> Orchestrator -> DataService.

``panel serve`` runs ``app/dashboard.py`` once per browser session, but this
module is imported once per process, so what it holds is shared by every
session and outlives them (docs/decisions/006-one-ingestion-per-process.md).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.alarm_limits import (
    LIMITS_STATE,
    AlarmLimitsError,
    read_limits_file,
)
from app.data import DataService, KeyInfo, Retention
from app.ingestion.alarm_log import AlarmLog
from app.ingestion.alarms import ACKNOWLEDGED_STATE, AlarmWatch
from app.ingestion.allocator import reuse_freed_storage
from app.ingestion.key_activity import KeyActivity
from app.ingestion.orchestrator import MAX_BATCH_SECONDS, Orchestrator
from app.options import DashboardOptions
from app.plot_spec import history_retention
from app.process_local import ProcessLocal
from app.shared_state import shared_state
from app.sources import MessageSource, SimulatedInstrument, SourceStatus
from app.sources.simulated import ALL_STREAMS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestionSnapshot:
    """Counters for the status line, read at one moment."""

    at_ns: int
    applied: int
    rejected: int
    source: SourceStatus
    memory_bytes: int
    subscribers: int
    sessions: int
    process: int = 0
    rejects: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """`rejected` per `Reason`."""
    restarted: int = 0
    """Histories restarted because a value no longer fit (`DataService.restarts`)."""


def make_source(options: DashboardOptions) -> MessageSource:
    """Return the message source the options ask for."""
    if options.source == "kafka":
        # Imported here: the kafka extra is optional for a simulated dashboard.
        from app.sources.kafka import KafkaSource
        from app.sources.kafka_settings import client_settings

        return KafkaSource(
            options.bootstrap_servers,
            list(options.topics),
            log_units=dict(options.log_units),
            lookback_s=options.lookback_s,
            ignore_schemas=options.ignore_schemas,
            config=client_settings(
                options.kafka_config_file, options.kafka_options, os.environ
            ),
        )
    streams = [key for key in options.keys if key in ALL_STREAMS]
    return SimulatedInstrument(
        rate_hz=options.simulated_rate_hz, streams=streams or None
    )


class Ingestion:
    """A DataService fed by an Orchestrator thread, and the sessions that watch it.

    Parameters
    ----------
    source:
        Where messages come from.
    ingest_period_s:
        Seconds between two drains of the source.
    data_service:
        The store to fill; a fresh one by default.
    max_batch_seconds:
        Longest a batch applies messages (decision 007).
    history:
        What every key keeps from its first frame on, watched or not, by key
        and what its history holds (decision 018); only what subscribers ask
        for if None.
    """

    def __init__(
        self,
        source: MessageSource,
        *,
        ingest_period_s: float,
        data_service: DataService | None = None,
        max_batch_seconds: float = MAX_BATCH_SECONDS,
        history: Callable[[Hashable, KeyInfo], Retention] | None = None,
        alarm_log: AlarmLog | None = None,
    ) -> None:
        self.data_service = data_service if data_service is not None else DataService()
        if history is not None:
            self.data_service.keep_for_every_key(history)
        self.source = source
        # Every value passes through: arrivals per key cost a counter each.
        self.activity = KeyActivity(self.data_service)
        # Keys with limits are judged as their values pass (decision 095).
        self.alarms = AlarmWatch(self.activity, alarm_log)
        self.orchestrator = Orchestrator(
            source,
            self.alarms,
            max_batch_seconds=max_batch_seconds,
            tick=self.alarms.tick,
        )
        self._ingest_period_s = ingest_period_s
        self._sessions = 0
        self._sessions_lock = threading.Lock()

    def start(self) -> None:
        """Start the ingestion thread (idempotent)."""
        self.orchestrator.start(self._ingest_period_s)

    def stop(self) -> None:
        """Stop the ingestion thread and close the source."""
        self.orchestrator.stop()
        self.source.close()

    def session_opened(self) -> None:
        """Count a browser session that connected."""
        with self._sessions_lock:
            self._sessions += 1

    def session_closed(self) -> None:
        """Count a browser session that went away."""
        with self._sessions_lock:
            self._sessions -= 1

    @property
    def sessions(self) -> int:
        """Browser sessions connected now."""
        return self._sessions

    def snapshot(self) -> IngestionSnapshot:
        """Read the counters the status line shows."""
        stats = self.orchestrator.stats
        return IngestionSnapshot(
            at_ns=time.monotonic_ns(),
            applied=stats.applied,
            rejected=sum(stats.rejected.values()),
            rejects=stats.rejected,
            source=self.source.status,
            restarted=self.data_service.restarts,
            memory_bytes=self.data_service.memory_bytes(),
            subscribers=self.data_service.subscriber_count,
            sessions=self._sessions,
            process=os.getpid(),
        )


def default_history(
    options: DashboardOptions,
) -> Callable[[Hashable, KeyInfo], Retention]:
    """What a process keeps of every key before any session watches it: the
    default views of its kind (decision 018), so any page on any process
    shows the whole history the buffers hold."""

    def retention_of(key: Hashable, info: KeyInfo) -> Retention:
        return history_retention(info, options.window_size)

    return retention_of


def follow_limits(alarms: AlarmWatch, options: DashboardOptions) -> None:
    """Judge the limits of the limits file and of operators, as they change.

    A limits file that does not fit is refused with the line and field that
    did not, and the dashboard runs without it (decision 096).
    """
    from_file = {}
    if options.alarm_limits:
        try:
            from_file = read_limits_file(options.alarm_limits)
        except AlarmLimitsError as error:
            alarms.note = f"{error}; started without it"
            logger.error("%s", alarms.note)
        else:
            logger.info(
                "limits of %d keys from %s", len(from_file), options.alarm_limits
            )
    alarms.follow(
        from_file,
        shared_state(options.state_dir, LIMITS_STATE),
        shared_state(options.state_dir, ACKNOWLEDGED_STATE),
    )


_process_ingestion: ProcessLocal[Ingestion] = ProcessLocal()


def process_ingestion(options: DashboardOptions) -> Ingestion:
    """Return this process's running ingestion, starting it on the first call.

    Later calls return the same object whatever their options: the first
    session (or ``panel serve --warm``) decides what the process ingests. A
    forked server process (``--num-procs``) starts its own.
    """

    def start() -> Ingestion:
        reuse_freed_storage()
        ingestion = Ingestion(
            make_source(options),
            ingest_period_s=options.ingest_period_s,
            history=default_history(options),
            alarm_log=AlarmLog(options.state_dir),
        )
        follow_limits(ingestion.alarms, options)
        ingestion.start()
        atexit.register(stop_process_ingestion)
        logger.info(
            "ingestion started in process %d: %s",
            os.getpid(),
            ingestion.source.status.description,
        )
        return ingestion

    return _process_ingestion.get(start)


def stop_process_ingestion() -> None:
    """Stop this process's ingestion, if started; the next call starts a new one."""
    ingestion = _process_ingestion.take()
    if ingestion is not None:
        ingestion.stop()
