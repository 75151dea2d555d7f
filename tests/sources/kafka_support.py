"""Names shared by the Kafka tests."""

from __future__ import annotations

DATA_TOPIC = "data"
LOG_TOPIC = "logs"
PARTITIONS = 4
