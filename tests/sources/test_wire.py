"""Tests of app/sources/wire.py: the simulated instrument's messages on the wire."""

from __future__ import annotations

import scipp as sc

from app.sources.codec import Decoder
from app.sources.simulated import LOG_UNITS, SimulatedInstrument
from app.sources.wire import (
    DATA_TOPIC,
    LOG_TOPIC,
    NO_PARTITION,
    OverTheWire,
    WireRecord,
    to_record,
)

T0 = 1_700_000_000_000_000_000


def test_a_record_is_what_the_producer_publishes() -> None:
    instrument = SimulatedInstrument(seed=1, clock=lambda: T0)
    records = [to_record(message, T0 + 5) for message in instrument.tick(T0)]

    topics = {record.key.decode(): record.topic for record in records}
    assert topics["detector/panel_0"] == DATA_TOPIC
    assert topics["log/motor_x"] == LOG_TOPIC
    assert {record.timestamp_ms for record in records} == {T0 // 1_000_000}
    assert {record.partition for record in records} == {NO_PARTITION}
    assert {record.arrived_ns for record in records} == {T0 + 5}


def test_over_the_wire_taps_the_records_and_applies_what_they_decode_to() -> None:
    now = [T0]
    tapped: list[WireRecord] = []
    source = OverTheWire(
        SimulatedInstrument(seed=2, clock=lambda: now[0]),
        tapped.extend,
        decoder=Decoder(LOG_UNITS),
        clock=lambda: now[0],
    )
    now[0] += 1_000_000_000

    messages = source.get_messages()

    assert len(messages) == len(tapped) > 0
    decoder = Decoder(LOG_UNITS)
    for message, record in zip(messages, tapped, strict=True):
        again = decoder.decode(record.value)
        assert (again.key, again.timestamp) == (message.key, message.timestamp)
        assert sc.identical(again.value, message.value)
    assert source.status.description.startswith("simulated instrument")
