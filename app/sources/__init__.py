"""Where data comes from: the message seam, a simulated instrument, Kafka."""

from .message import Message, MessageSource, SourceStatus
from .simulated import SimulatedInstrument

__all__ = ["Message", "MessageSource", "SimulatedInstrument", "SourceStatus"]
