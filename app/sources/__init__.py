"""Where data comes from: the message seam, a simulated instrument, Kafka."""

from app.sources.message import Message, MessageSource, SourceStatus
from app.sources.simulated import SimulatedInstrument

__all__ = ["Message", "MessageSource", "SimulatedInstrument", "SourceStatus"]
