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
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from app.alarm_limits import (
    LIMITS_STATE,
    AlarmLimitsError,
    read_limits_file,
)
from app.audit import AuditLog
from app.data import DataService, KeyInfo, Retention
from app.data.regions import REGIONS_FILE, regions_of
from app.ingestion.alarm_log import AlarmLog
from app.ingestion.alarms import ACKNOWLEDGED_STATE, AlarmWatch
from app.ingestion.allocator import reuse_freed_storage
from app.ingestion.cleared import ClearedStaysCleared
from app.ingestion.key_activity import KeyActivity
from app.ingestion.orchestrator import MAX_BATCH_SECONDS, Orchestrator
from app.ingestion.regions import RegionSink
from app.ingestion.watched import WatchedHistory, WatchNoter
from app.options import DashboardOptions
from app.plot_spec import history_retention
from app.process_local import ProcessLocal
from app.roles import CLEAR_HISTORY
from app.shared_state import SharedState, shared_state
from app.sources import MessageSource, SimulatedInstrument, SourceStatus
from app.sources.simulated import ALL_STREAMS, LOG_UNITS

if TYPE_CHECKING:
    from app.recording.writer import Recorder
    from app.sources.kafka_fill import KafkaFill

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


def make_recorder(options: DashboardOptions) -> Recorder | None:
    """The recorder `--record` asks for, or None."""
    if not options.record_dir:
        return None
    # Imported here: pyarrow is needed only to record or replay.
    from app.recording.writer import Recorder

    return Recorder(
        options.record_dir,
        file_bytes=round(options.record_file_mib * 1024**2),
        file_seconds=options.record_file_s,
        total_bytes=round(options.record_total_gib * 1024**3),
    )


def make_source(
    options: DashboardOptions,
    recorder: Recorder | None = None,
    resume_offsets: Mapping[tuple[str, int], int] | None = None,
) -> MessageSource:
    """Return the message source the options ask for; `recorder` receives
    every record it reads, as it arrived; Kafka starts at `resume_offsets`
    where given, after what was restored."""
    tap = None if recorder is None else recorder.record
    if options.source == "replay":
        from app.options import replay_start
        from app.recording.replay import ReplaySource

        offset_s, start_ns = replay_start(options.replay_start)
        return ReplaySource(
            options.replay_path,
            speed=options.replay_speed,
            loop=options.replay_loop,
            start_ns=start_ns,
            start_offset_s=offset_s,
            log_units={**LOG_UNITS, **dict(options.log_units)},
        )
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
            tap=tap,
            resume_offsets=resume_offsets,
        )
    streams = [key for key in options.keys if key in ALL_STREAMS]
    instrument = SimulatedInstrument(
        rate_hz=options.simulated_rate_hz, streams=streams or None
    )
    if tap is None:
        return instrument
    from app.sources.codec import Decoder
    from app.sources.wire import OverTheWire

    # Recorded in Kafka's schemas, and applied as a replay will give them back.
    return OverTheWire(instrument, tap, decoder=Decoder(LOG_UNITS))


def make_restoring_source(
    options: DashboardOptions,
) -> tuple[MessageSource, Recorder | None]:
    """The source and recorder of a starting process: with ``--record``, the
    recordings of the last ``--lookback`` seconds first, then the live source
    from where they end (decision 028); without the frames of histories
    cleared since (decision 048)."""
    if options.source == "replay":
        if options.record_dir:
            logger.warning("a replay is not recorded again: --record ignored")
        return make_source(options), None
    source, recorder = _restoring_source(options)
    return _keeping_clears(options, source), recorder


def _keeping_clears(options: DashboardOptions, source: MessageSource) -> MessageSource:
    """`source` without what the look-back would bring back of a cleared key."""
    if options.lookback_s <= 0:
        return source
    since_ns = time.time_ns() - round(options.lookback_s * 1e9)
    audit = AuditLog(Path(options.state_dir))
    cleared = audit.last_done(CLEAR_HISTORY, since_ns)
    if not cleared:
        return source
    logger.info(
        "histories cleared in the look-back stay cleared: %s",
        ", ".join(sorted(cleared)),
    )
    return ClearedStaysCleared(source, cleared)


def _restoring_source(
    options: DashboardOptions,
) -> tuple[MessageSource, Recorder | None]:
    if not options.record_dir:
        return make_source(options), None
    from app.recording.restore import RestoringSource, plan_restore

    # Planned before this process records: what it writes is not restored.
    plan = plan_restore(options.record_dir, options.lookback_s)
    recorder = make_recorder(options)
    if plan is None:
        return make_source(options, recorder), recorder
    live = make_source(options, recorder, resume_offsets=plan.resume_offsets)
    units = {**LOG_UNITS, **dict(options.log_units)}
    before = _kafka_before_recording(options, plan.first_offsets)
    return RestoringSource(plan, live, log_units=units, before=before), recorder


def _kafka_before_recording(
    options: DashboardOptions, first_offsets: Mapping[tuple[str, int], int]
) -> KafkaFill | None:
    """Kafka's look-back of the partitions a recording holds, up to its first
    restored record: what the recording lacks (decision 047)."""
    if options.source != "kafka" or not first_offsets or options.lookback_s <= 0:
        return None
    from app.sources.codec import Decoder
    from app.sources.kafka_fill import KafkaFill
    from app.sources.kafka_settings import client_settings
    from app.sources.lookback import LookBack

    return KafkaFill(
        options.bootstrap_servers,
        first_offsets,
        lookback=LookBack(seconds=options.lookback_s),
        decoder=Decoder(dict(options.log_units)),
        config=client_settings(
            options.kafka_config_file, options.kafka_options, os.environ
        ),
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
    recorder:
        Writes what `source` reads (its tap); closed with the ingestion, and
        named on the status line.
    regions:
        The shared file of the regions of interest, watched from the start:
        each frame of a key with regions writes their sums in its
        transaction (decision 088). None sums no regions.
    watched:
        Where what the pages' plots ask of the buffers is noted for the next
        start (decision 048).
    alarm_log:
        Where the transitions of keys with limits are written (decision 095);
        logged only if None.
    """

    def __init__(
        self,
        source: MessageSource,
        *,
        ingest_period_s: float,
        data_service: DataService | None = None,
        max_batch_seconds: float = MAX_BATCH_SECONDS,
        history: Callable[[Hashable, KeyInfo], Retention] | None = None,
        recorder: Recorder | None = None,
        regions: SharedState | None = None,
        watched: WatchedHistory | None = None,
        alarm_log: AlarmLog | None = None,
    ) -> None:
        self.recorder = recorder
        self.data_service = data_service if data_service is not None else DataService()
        if history is not None:
            self.data_service.keep_for_every_key(history)
        self.source = source
        # Every value passes through: arrivals per key cost a counter each.
        self.activity = KeyActivity(self.data_service)
        # Keys with limits are judged as their values pass (decision 095).
        self.alarms = AlarmWatch(self.activity, alarm_log)
        # In front of the alarms: a region's key has arrivals and limits like
        # any key.
        self.regions = RegionSink(self.alarms)
        self._stop_watching: Callable[[], None] | None = None
        if regions is not None:
            self._stop_watching = regions.watch(
                lambda document: self.regions.use(regions_of(document))
            )
        self.orchestrator = Orchestrator(
            source,
            self.regions,
            max_batch_seconds=max_batch_seconds,
            tick=self.alarms.tick,
        )
        self._ingest_period_s = ingest_period_s
        self._sessions = 0
        self._sessions_lock = threading.Lock()
        self._noter = (
            None
            if watched is None
            else WatchNoter(watched, self.data_service.watched_retentions)
        )

    def start(self) -> None:
        """Start the ingestion thread (idempotent)."""
        self.orchestrator.start(self._ingest_period_s)
        if self._noter is not None:
            self._noter.start()

    def stop(self) -> None:
        """Stop the ingestion thread and close the source."""
        if self._stop_watching is not None:
            self._stop_watching()
        self.orchestrator.stop()
        if self._noter is not None:
            self._noter.stop()
        self.source.close()
        if self.recorder is not None:
            self.recorder.close()

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
        source = self.source.status
        if self.recorder is not None:
            source = replace(
                source,
                description=f"{source.description}, {self.recorder.describe()}",
            )
        return IngestionSnapshot(
            at_ns=time.monotonic_ns(),
            applied=stats.applied,
            rejected=sum(stats.rejected.values()),
            rejects=stats.rejected,
            source=source,
            restarted=self.data_service.restarts,
            memory_bytes=self.data_service.memory_bytes(),
            subscribers=self.data_service.subscriber_count,
            sessions=self._sessions,
            process=os.getpid(),
        )


def default_history(
    options: DashboardOptions, kept: Mapping[Hashable, Retention] | None = None
) -> Callable[[Hashable, KeyInfo], Retention]:
    """What a process keeps of every key before any session watches it: the
    default views of its kind (decision 018), so any page on any process
    shows the whole history the buffers hold; and what `kept` names for a
    key (the ``--layout`` file's plots and what pages watched before a
    restart, decision 048)."""
    kept = dict(kept or {})

    def retention_of(key: Hashable, info: KeyInfo) -> Retention:
        retention = history_retention(info, options.window_size)
        also = kept.get(key)
        return retention if also is None else retention.union(also)

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


def process_ingestion(
    options: DashboardOptions,
    kept: Mapping[Hashable, Retention] | None = None,
    watched: WatchedHistory | None = None,
) -> Ingestion:
    """Return this process's running ingestion, starting it on the first call.

    Later calls return the same object whatever their options: the first
    session (or ``panel serve --warm``) decides what the process ingests. A
    forked server process (``--num-procs``) starts its own. `kept`: what
    each key keeps beyond its default views, watched or not (`default_history`);
    `watched`: where what the pages' plots ask is noted for the next start.
    """

    def start() -> Ingestion:
        reuse_freed_storage()
        source, recorder = make_restoring_source(options)
        ingestion = Ingestion(
            source,
            ingest_period_s=options.ingest_period_s,
            history=default_history(options, kept),
            recorder=recorder,
            regions=shared_state(options.state_dir, REGIONS_FILE),
            watched=watched,
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
