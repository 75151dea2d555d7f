"""Publish the simulated instrument to Kafka as da00/f144, to demo the Kafka path.

Usage::

    python -m app.sources.produce --bootstrap HOST:PORT [--rate-hz 5] [--ticks N]
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Iterable, Sequence
from types import FrameType

import confluent_kafka

from app.sources.message import Message
from app.sources.simulated import ALL_STREAMS, SimulatedInstrument
from app.sources.wire import DATA_TOPIC, LOG_TOPIC, encode

logger = logging.getLogger(__name__)

__all__ = ["DATA_TOPIC", "LOG_TOPIC", "encode", "main", "publish"]


def publish(
    producer: confluent_kafka.Producer,
    messages: Iterable[Message],
    *,
    data_topic: str = DATA_TOPIC,
    log_topic: str = LOG_TOPIC,
) -> int:
    """Produce `messages`, keyed by source name so each keeps its order.

    Returns
    -------
    :
        The number of records handed to the producer.
    """
    topics = {"data": data_topic, "log": log_topic}
    count = 0
    for message in messages:
        family, payload = encode(message)
        producer.produce(
            topics[family],
            key=message.key.encode(),
            value=payload,
            timestamp=message.timestamp // 1_000_000,
        )
        count += 1
    producer.poll(0)
    return count


def _report_delivery(error: confluent_kafka.KafkaError | None, record: object) -> None:
    if error is not None:
        logger.warning("delivery failed: %s", error.str())


def run(args: argparse.Namespace, stop: threading.Event) -> int:
    """Tick the instrument and publish until `stop`, `--ticks` or `--duration`."""
    instrument = SimulatedInstrument(
        seed=args.seed, rate_hz=args.rate_hz, streams=args.streams
    )
    producer = confluent_kafka.Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "linger.ms": 5,
            "on_delivery": _report_delivery,
            "logger": logging.getLogger(f"{__name__}.librdkafka"),
        }
    )
    per_tick = len(instrument.keys)
    ticks = 0
    records = 0
    period_s = 1.0 / args.rate_hz
    deadline = None if args.duration is None else time.monotonic() + args.duration
    while not stop.is_set():
        messages = instrument.get_messages()
        if args.ticks is not None:
            messages = messages[: (args.ticks - ticks) * per_tick]
        records += publish(
            producer, messages, data_topic=args.data_topic, log_topic=args.log_topic
        )
        ticks += len(messages) // per_tick
        if args.ticks is not None and ticks >= args.ticks:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        # Pacing, not synchronisation: the instrument decides which ticks are due.
        stop.wait(period_s / 2)
    remaining = producer.flush(args.flush_timeout)
    logger.info("published %d ticks, %d records", ticks, records)
    if remaining:
        logger.error("%d records not delivered to %s", remaining, args.bootstrap)
        return 1
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app.sources.produce",
        description="Publish the simulated instrument to Kafka (da00 + f144).",
    )
    parser.add_argument("--bootstrap", required=True, help="HOST:PORT of a broker")
    parser.add_argument("--data-topic", default=DATA_TOPIC, help="da00 topic")
    parser.add_argument("--log-topic", default=LOG_TOPIC, help="f144 topic")
    parser.add_argument("--rate-hz", type=float, default=5.0, help="ticks per second")
    parser.add_argument("--seed", type=int, default=None, help="noise seed")
    parser.add_argument(
        "--streams",
        nargs="+",
        choices=ALL_STREAMS,
        default=None,
        metavar="KEY",
        help=f"keys to publish (default: all of {', '.join(ALL_STREAMS)})",
    )
    limit = parser.add_mutually_exclusive_group()
    limit.add_argument("--ticks", type=int, default=None, help="stop after N ticks")
    limit.add_argument(
        "--duration", type=float, default=None, help="stop after SECONDS"
    )
    parser.add_argument(
        "--flush-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for delivery at exit",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    return run(args, stop)


if __name__ == "__main__":
    raise SystemExit(main())
