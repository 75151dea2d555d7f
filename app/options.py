"""Dashboard options, from ``panel serve ... --args`` or environment variables.

A command-line argument wins over its environment variable, which wins over the
default. Port and address belong to ``panel serve`` itself (see the Makefile).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.limits import DEFAULT_MAX_SESSIONS, MAX_WINDOW_SIZE
from app.sources.kafka_settings import KafkaSettingsError, parse_pair
from app.sources.lookback import DEFAULT_LOOKBACK_S
from app.sources.other_schemas import DEFAULT_IGNORED_SCHEMAS

ENV_PREFIX = "DASHBOARD_"
DEFAULT_STATE_DIR = ".dashboard-state"
"""Relative to the working directory the server starts in."""
MIN_LOSSES_REMEMBERED_S = 10.0
"""The shortest span the pill remembers losses: a page whose browser is behind
reads its losses once in five seconds, and a loss must outlive one reading."""


@dataclass(frozen=True)
class DashboardOptions:
    """What one server process ingests and how its sessions draw.

    Parameters
    ----------
    source:
        ``simulated`` (the default), ``kafka`` or ``replay``.
    replay_path:
        A recording file or directory a ``replay`` source reads.
    replay_speed:
        Recorded seconds a replay shows per second; ``math.inf`` as fast as
        the dashboard applies (``--speed max``).
    replay_loop:
        Replay again from the start after the end.
    replay_start:
        Where a replay starts: seconds into the recording, or a time
        (ISO 8601); empty for its beginning.
    record_dir:
        Directory where every record the dashboard applies is written
        (`app.recording`); empty records nothing.
    record_file_mib, record_file_s, record_total_gib:
        A recording file ends at this size or age; the oldest files go while
        the directory holds more than the total (decision 099).
    bootstrap_servers:
        Kafka brokers, ``host:port[,host:port]``.
    topics:
        Kafka topics to consume.
    log_units:
        Units of f144 log sources, which carry none (key, unit) pairs.
    fast_frame_period_s:
        The shorter frame period sessions use while the process has room
        and their browser keeps up (decision 038); at most `frame_period_s`.
    losses_remembered_s:
        Seconds the pill stays amber after anything was lost (decision 071).
    frame_period_s:
        How often each browser session draws what changed.
    window_size:
        Frames shown by sliding windows until the operator changes it.
    renderer:
        Bokeh output backend, ``canvas`` or ``webgl``.
    keys:
        Keys to plot; empty means every key that arrives.
    simulated_rate_hz:
        Ticks per second of the simulated instrument.
    ingest_period_s:
        Longest pause between two drains of the source; a Kafka source wakes
        the ingestion as soon as messages arrive (decision 037).
    lookback_s:
        Seconds of Kafka history a new dashboard reads at start (at most
        1,000 records per partition); 0 reads only what arrives afterwards.
    layout_file:
        A layout file (`app.page.layout_file`) every new session starts from;
        empty for the automatic layout.
    title:
        The page header, e.g. the instrument's name; the source's by default.
    ignore_schemas:
        Schema ids expected on the Kafka topics that the dashboard does not
        read: their records are counted as ignored, not lost (decision 035).
    views:
        Modules imported at start that register custom views
        (`app.page.custom_views.register_view`), e.g. an instrument's own plots.
    max_sessions:
        Sessions one server process serves at once; one more gets a page
        saying the dashboard is full (decision 083).
    kafka_config_file:
        A librdkafka properties file (``key=value`` lines) for the Kafka
        client, e.g. SASL/SSL settings (`app.sources.kafka_settings`).
    kafka_options:
        librdkafka ``(key, value)`` settings that win over the file's; values
        may be ``@file:PATH`` or ``${ENV_VAR}`` (decision 036).
    operators:
        Users, and groups as ``group:NAME``, who may act on everyone's data
        (clear a key's history) when sign-in is on (decision 080).
    operators_file:
        A file of such names, one a line, ``#`` comments; joins ``operators``.
    state_dir:
        Where the dashboard keeps what outlives a process: the audit file of
        operator actions (decision 081).
    alarm_limits:
        A limits file (JSON lines: a key and its bounds each) whose limits
        every process judges; a file that does not fit is refused and the
        dashboard starts without it (decision 096).
    no_sign_in:
        Serve a non-loopback address without sign-in, as the operator said so
        explicitly; the start logs a warning and the page shows it (decision 079).
    """

    source: str = "simulated"
    bootstrap_servers: str = "localhost:9092"
    # The topics `python -m app.sources.produce` writes to by default.
    topics: tuple[str, ...] = ("livedata_data", "livedata_logs")
    log_units: tuple[tuple[str, str], ...] = ()
    frame_period_s: float = 0.2
    fast_frame_period_s: float = 0.1
    losses_remembered_s: float = 30.0
    window_size: int = 100
    renderer: str = "canvas"
    keys: tuple[str, ...] = ()
    simulated_rate_hz: float = 5.0
    ingest_period_s: float = 0.05
    lookback_s: float = DEFAULT_LOOKBACK_S
    layout_file: str = ""
    title: str = ""
    ignore_schemas: tuple[str, ...] = DEFAULT_IGNORED_SCHEMAS
    views: tuple[str, ...] = ()
    max_sessions: int = DEFAULT_MAX_SESSIONS
    # Not in the repr: values may be secrets written out.
    kafka_config_file: str = ""
    kafka_options: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    operators: tuple[str, ...] = ()
    operators_file: str = ""
    state_dir: str = DEFAULT_STATE_DIR
    alarm_limits: str = ""
    no_sign_in: bool = False
    replay_path: str = ""
    replay_speed: float = 1.0
    replay_loop: bool = False
    replay_start: str = ""
    record_dir: str = ""
    record_file_mib: float = 256.0
    record_file_s: float = 3600.0
    record_total_gib: float = 20.0

    def __post_init__(self) -> None:
        if not 1 <= self.window_size <= MAX_WINDOW_SIZE:
            raise ValueError(_window_size_error(self.window_size))
        if self.source == "replay" and not self.replay_path:
            raise ValueError("a replay source needs a recording: --source replay PATH")


SOURCES = ("simulated", "kafka", "replay")


def _speed(text: str) -> float:
    if text.strip().lower() == "max":
        return math.inf
    return _positive(float)(text)


def replay_start(text: str) -> tuple[float, int | None]:
    """``--replay-start`` as (seconds into the recording, host time in ns or None).

    Raises
    ------
    ValueError
        If `text` is neither a number of seconds nor an ISO 8601 time.
    """
    if not text:
        return 0.0, None
    try:
        return _non_negative(text), None
    except (ValueError, argparse.ArgumentTypeError):
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"replay start {text!r} is neither seconds into the recording nor an "
            "ISO 8601 time (2026-03-01T08:00:00+01:00)"
        ) from None
    # A time without a zone is the host's local time, as operators read clocks.
    return 0.0, round(moment.astimezone().timestamp() * 1e9)


def _replay_start(text: str) -> str:
    try:
        replay_start(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _window_size_error(size: object) -> str:
    return f"window size must be between 1 and {MAX_WINDOW_SIZE} frames, got {size}"


def _window_size(text: str) -> int:
    size = int(text)
    if not 1 <= size <= MAX_WINDOW_SIZE:
        raise argparse.ArgumentTypeError(_window_size_error(size))
    return size


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _units(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in _csv(text):
        key, sep, unit = item.partition("=")
        if not sep or not key or not unit:
            raise argparse.ArgumentTypeError(f"expected KEY=UNIT, got {item!r}")
        pairs.append((key.strip(), unit.strip()))
    return tuple(pairs)


def _kafka_pair(text: str) -> tuple[str, str]:
    try:
        return parse_pair(text)
    except KafkaSettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _kafka_pairs(text: str) -> list[tuple[str, str]]:
    return [_kafka_pair(item) for item in _csv(text)]


def _positive(kind: type[float] | type[int]) -> Callable[[str], float | int]:
    def parse(text: str) -> float | int:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _at_least(minimum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if not value >= minimum:
            raise argparse.ArgumentTypeError(
                f"must be at least {minimum:g}, got {text}"
            )
        return value

    parse.__name__ = "float"
    return parse


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered not in _FLAG_WORDS:
        raise argparse.ArgumentTypeError(f"expected 1/0, true/false, got {text!r}")
    return _FLAG_WORDS[lowered]


_FLAG_WORDS = {"1": True, "true": True, "yes": True, "0": False, "false": False}
_FLAG_WORDS |= {"no": False, "": False}


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    defaults = DashboardOptions()
    parser = argparse.ArgumentParser(
        prog="panel serve app/dashboard.py --args",
        description="Live-data dashboard of a neutron-scattering instrument.",
    )

    def option(flag: str, env: str, default: object, **kwargs: Any) -> None:
        name = ENV_PREFIX + env
        help_text = kwargs.pop("help")
        if name in environ:
            # Parsed like the argument, so a bad variable fails as loudly.
            try:
                default = kwargs.get("type", str)(environ[name])
            except (ValueError, argparse.ArgumentTypeError) as error:
                parser.error(f"{name}={environ[name]!r}: {error}")
            choices = kwargs.get("choices")
            if choices is not None and default not in choices:
                parser.error(f"{name}={environ[name]!r}: choose from {choices}")
        parser.add_argument(
            flag, default=default, help=f"{help_text} (env {name})", **kwargs
        )

    option(
        "--source",
        "SOURCE",
        [defaults.source],
        nargs="+",
        type=str,
        metavar="KIND",
        help="where data comes from: simulated, kafka, or replay PATH "
        "(a recording file or directory)",
    )
    option(
        "--speed",
        "SPEED",
        defaults.replay_speed,
        type=_speed,
        help="recorded seconds a replay shows per second, 'max' as fast as it applies",
    )
    option(
        "--loop",
        "LOOP",
        defaults.replay_loop,
        type=_flag,
        nargs="?",
        const=True,
        help="replay again from the start after the end",
    )
    option(
        "--replay-start",
        "REPLAY_START",
        defaults.replay_start,
        type=_replay_start,
        help="where a replay starts: seconds into the recording or an ISO 8601 time",
    )
    option(
        "--record",
        "RECORD",
        defaults.record_dir,
        help="directory where every record the dashboard applies is written",
    )
    option(
        "--record-file-size",
        "RECORD_FILE_SIZE",
        defaults.record_file_mib,
        type=_positive(float),
        help="MiB after which a recording file ends and the next begins",
    )
    option(
        "--record-file-age",
        "RECORD_FILE_AGE",
        defaults.record_file_s,
        type=_positive(float),
        help="seconds after which a recording file ends and the next begins",
    )
    option(
        "--record-total-size",
        "RECORD_TOTAL_SIZE",
        defaults.record_total_gib,
        type=_positive(float),
        help="GiB the recordings may take; the oldest files go first",
    )
    option(
        "--bootstrap-servers",
        "BOOTSTRAP_SERVERS",
        defaults.bootstrap_servers,
        help="Kafka brokers",
    )
    option(
        "--topics",
        "TOPICS",
        defaults.topics,
        type=_csv,
        help="Kafka topics, comma-separated",
    )
    option(
        "--log-units",
        "LOG_UNITS",
        defaults.log_units,
        type=_units,
        help="units of f144 logs, KEY=UNIT comma-separated",
    )
    option(
        "--frame-period",
        "FRAME_PERIOD",
        defaults.frame_period_s,
        type=_positive(float),
        help="seconds between two frames drawn by a browser session",
    )
    option(
        "--fast-frame-period",
        "FAST_FRAME_PERIOD",
        defaults.fast_frame_period_s,
        type=_positive(float),
        help="seconds between two frames while the server has room "
        "(at most --frame-period)",
    )
    option(
        "--losses-remembered",
        "LOSSES_REMEMBERED",
        defaults.losses_remembered_s,
        type=_at_least(MIN_LOSSES_REMEMBERED_S),
        help="seconds the status pill stays amber after anything was lost",
    )
    option(
        "--window-size",
        "WINDOW_SIZE",
        defaults.window_size,
        type=_window_size,
        help="initial frames shown by sliding windows",
    )
    option(
        "--renderer",
        "RENDERER",
        defaults.renderer,
        choices=["canvas", "webgl"],
        help="Bokeh output backend",
    )
    option(
        "--keys", "KEYS", defaults.keys, type=_csv, help="keys to plot, comma-separated"
    )
    option(
        "--simulated-rate",
        "SIMULATED_RATE",
        defaults.simulated_rate_hz,
        type=_positive(float),
        help="ticks per second of the simulated instrument",
    )
    option(
        "--ingest-period",
        "INGEST_PERIOD",
        defaults.ingest_period_s,
        type=_positive(float),
        help="longest pause between two drains of the source (Kafka wakes it)",
    )
    option(
        "--lookback",
        "LOOKBACK",
        defaults.lookback_s,
        type=_non_negative,
        help="seconds of Kafka history read at start, 0 for live only",
    )
    option(
        "--layout",
        "LAYOUT",
        defaults.layout_file,
        help="layout file (JSON) every new session starts from",
    )
    option("--title", "TITLE", defaults.title, help="page header, e.g. the instrument")
    option(
        "--ignore-schemas",
        "IGNORE_SCHEMAS",
        defaults.ignore_schemas,
        type=_csv,
        help="schema ids on the topics that are not read and not lost, "
        "comma-separated ('' counts every unread schema as lost)",
    )
    option(
        "--views",
        "VIEWS",
        defaults.views,
        type=_csv,
        help="modules that register custom views, comma-separated",
    )
    option(
        "--max-sessions",
        "MAX_SESSIONS",
        defaults.max_sessions,
        type=_positive(int),
        help="sessions one server process serves at once; one more gets a page "
        "saying the dashboard is full",
    )
    option(
        "--kafka-config",
        "KAFKA_CONFIG",
        defaults.kafka_config_file,
        help="librdkafka properties file (key=value lines) for the Kafka client",
    )
    # Repeatable: added by hand, as the variable holds many pairs at once.
    name = ENV_PREFIX + "KAFKA_OPTIONS"
    try:
        from_environment = _kafka_pairs(environ.get(name, ""))
    except argparse.ArgumentTypeError as error:
        parser.error(f"{name}: {error}")
    parser.add_argument(
        "--kafka-option",
        type=_kafka_pair,
        action="append",
        default=None,
        help="librdkafka setting KEY=VALUE, repeatable; VALUE may be "
        f"@file:PATH or ${{ENV_VAR}} (env {name}, comma-separated)",
    )
    parser.set_defaults(kafka_option_environment=from_environment)
    option(
        "--operators",
        "OPERATORS",
        defaults.operators,
        type=_csv,
        help="users (and groups as group:NAME) who may clear histories when "
        "sign-in is on, comma-separated",
    )
    option(
        "--operators-file",
        "OPERATORS_FILE",
        defaults.operators_file,
        help="file of operators, one user or group:NAME a line",
    )
    option(
        "--state-dir",
        "STATE_DIR",
        defaults.state_dir,
        help="directory of the audit file of operator actions",
    )
    option(
        "--alarm-limits",
        "ALARM_LIMITS",
        defaults.alarm_limits,
        help="file of alarm limits, one JSON object a line (docs/operators-guide.md)",
    )
    option(
        "--no-sign-in",
        "NO_SIGN_IN",
        defaults.no_sign_in,
        type=_flag,
        nargs="?",
        const=True,
        help="serve a non-loopback address without sign-in (everyone operates)",
    )
    return parser


def parse_options(
    argv: Sequence[str], environ: Mapping[str, str] | None = None
) -> DashboardOptions:
    """Return the options given by ``argv`` and ``environ`` (``DASHBOARD_*``)."""
    parser = _parser(environ or {})
    args = parser.parse_args(list(argv))
    source, replay_path = _source(parser, args.source, environ or {})
    # Arguments replace the variable's pairs, as any argument wins over its variable.
    kafka_options = args.kafka_option or args.kafka_option_environment
    return DashboardOptions(
        source=source,
        replay_path=replay_path,
        replay_speed=args.speed,
        replay_loop=args.loop,
        replay_start=args.replay_start,
        record_dir=args.record,
        record_file_mib=args.record_file_size,
        record_file_s=args.record_file_age,
        record_total_gib=args.record_total_size,
        bootstrap_servers=args.bootstrap_servers,
        topics=tuple(args.topics),
        log_units=tuple(args.log_units),
        frame_period_s=args.frame_period,
        fast_frame_period_s=min(args.fast_frame_period, args.frame_period),
        losses_remembered_s=args.losses_remembered,
        window_size=args.window_size,
        renderer=args.renderer,
        keys=tuple(args.keys),
        simulated_rate_hz=args.simulated_rate,
        ingest_period_s=args.ingest_period,
        lookback_s=args.lookback,
        layout_file=args.layout,
        title=args.title,
        ignore_schemas=tuple(args.ignore_schemas),
        views=tuple(args.views),
        max_sessions=args.max_sessions,
        kafka_config_file=args.kafka_config,
        kafka_options=tuple(kafka_options),
        operators=tuple(args.operators),
        operators_file=args.operators_file,
        state_dir=args.state_dir,
        alarm_limits=args.alarm_limits,
        no_sign_in=args.no_sign_in,
    )


def _source(
    parser: argparse.ArgumentParser, words: Sequence[str], environ: Mapping[str, str]
) -> tuple[str, str]:
    """The kind of source and a replay's path, from ``--source KIND [PATH]``
    (or ``DASHBOARD_SOURCE`` and ``DASHBOARD_REPLAY``)."""
    if isinstance(words, str):  # from the variable
        words = [words]
    kind, rest = words[0], list(words[1:])
    if kind not in SOURCES:
        parser.error(f"--source: {kind!r} is not one of {', '.join(SOURCES)}")
    if kind != "replay":
        if rest:
            parser.error(f"--source {kind} takes no path, got {rest}")
        return kind, ""
    if not rest and environ.get(ENV_PREFIX + "REPLAY"):
        rest = [environ[ENV_PREFIX + "REPLAY"]]
    if len(rest) != 1:
        parser.error("--source replay needs one PATH: a recording file or directory")
    return kind, rest[0]
