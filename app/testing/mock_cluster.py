"""librdkafka's in-process mock Kafka cluster, for tests, benchmarks and demos.

confluent-kafka only exposes the mock as ``test.mock.num.brokers``, which cannot
take a broker down. librdkafka's C API can (``rd_kafka_mock_broker_set_down``
closes its connections and stops listening while keeping the port), so this
module drives the librdkafka that ships inside confluent-kafka through ctypes.
"""

from __future__ import annotations

import ctypes
import glob
import os
from types import TracebackType

import confluent_kafka

_RD_KAFKA_PRODUCER = 0
_ERRSTR_SIZE = 512


def _load_librdkafka() -> ctypes.CDLL:
    package_dir = os.path.dirname(confluent_kafka.__file__)
    # Wheels bundle it next to the package (auditwheel: confluent_kafka.libs).
    patterns = [
        os.path.join(package_dir + ".libs", "librdkafka*.so*"),
        os.path.join(os.path.dirname(package_dir), "*.libs", "librdkafka*.so*"),
        os.path.join(package_dir, ".dylibs", "librdkafka*.dylib"),
    ]
    candidates = [path for pattern in patterns for path in glob.glob(pattern)]
    names = [*candidates, "librdkafka.so.1", "librdkafka.dylib"]
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if hasattr(lib, "rd_kafka_mock_cluster_new"):
            return _declare(lib)
    raise OSError(f"no librdkafka with the mock cluster API found (tried {names})")


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    p, c_int, c_char_p = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
    signatures = {
        "rd_kafka_conf_new": ([], p),
        "rd_kafka_conf_set": (
            [p, c_char_p, c_char_p, c_char_p, ctypes.c_size_t],
            c_int,
        ),
        "rd_kafka_new": ([c_int, p, c_char_p, ctypes.c_size_t], p),
        "rd_kafka_destroy": ([p], None),
        "rd_kafka_mock_cluster_new": ([p, c_int], p),
        "rd_kafka_mock_cluster_destroy": ([p], None),
        "rd_kafka_mock_cluster_bootstraps": ([p], c_char_p),
        "rd_kafka_mock_broker_set_down": ([p, ctypes.c_int32], c_int),
        "rd_kafka_mock_broker_set_up": ([p, ctypes.c_int32], c_int),
        "rd_kafka_mock_topic_create": ([p, c_char_p, c_int, c_int], c_int),
        "rd_kafka_mock_partition_delete_records": (
            [p, c_char_p, ctypes.c_int32, ctypes.c_int64],
            c_int,
        ),
        "rd_kafka_mock_group_initial_rebalance_delay_ms": ([p, ctypes.c_int32], None),
    }
    for name, (argtypes, restype) in signatures.items():
        function = getattr(lib, name)
        function.argtypes = argtypes
        function.restype = restype
    return lib


class MockKafkaCluster:
    """A Kafka cluster in this process, speaking the real protocol on loopback.

    Parameters
    ----------
    num_brokers:
        Brokers, with ids 1..num_brokers.
    group_rebalance_delay_ms:
        The mock waits this long before the first consumer-group rebalance
        (librdkafka's default is 3000 ms, like a real broker's).
    """

    def __init__(self, num_brokers: int = 1, *, group_rebalance_delay_ms: int = 0):
        self._lib = _load_librdkafka()
        errstr = ctypes.create_string_buffer(_ERRSTR_SIZE)
        conf = self._lib.rd_kafka_conf_new()
        # The handle only hosts the cluster; keep it quiet.
        self._lib.rd_kafka_conf_set(conf, b"log_level", b"0", errstr, _ERRSTR_SIZE)
        self._handle = self._lib.rd_kafka_new(
            _RD_KAFKA_PRODUCER, conf, errstr, _ERRSTR_SIZE
        )
        if not self._handle:
            raise RuntimeError(f"rd_kafka_new failed: {errstr.value.decode()}")
        self._cluster = self._lib.rd_kafka_mock_cluster_new(self._handle, num_brokers)
        if not self._cluster:
            self._lib.rd_kafka_destroy(self._handle)
            raise RuntimeError("rd_kafka_mock_cluster_new failed")
        self._lib.rd_kafka_mock_group_initial_rebalance_delay_ms(
            self._cluster, group_rebalance_delay_ms
        )
        self.bootstrap_servers: str = self._lib.rd_kafka_mock_cluster_bootstraps(
            self._cluster
        ).decode()

    def create_topic(self, topic: str, partitions: int = 4) -> None:
        """Create `topic` (the mock would create it on first use, with 4)."""
        self._check(
            self._lib.rd_kafka_mock_topic_create(
                self._cluster, topic.encode(), partitions, 1
            ),
            f"create topic {topic!r}",
        )

    def create_topics(self, *topics: str, partitions: int = 1) -> MockKafkaCluster:
        """Create each of `topics` (one partition unless said); returns the
        cluster, so a fixture may write ``MockKafkaCluster().create_topics(...)``."""
        for topic in topics:
            self.create_topic(topic, partitions=partitions)
        return self

    def delete_records(self, topic: str, partition: int, before: int) -> None:
        """Delete the records of a partition before offset `before`, as
        retention does: a consumer behind it finds its offset out of range."""
        self._check(
            self._lib.rd_kafka_mock_partition_delete_records(
                self._cluster, topic.encode(), partition, before
            ),
            f"delete records of {topic!r} [{partition}] before {before}",
        )

    def set_broker_down(self, broker_id: int = 1) -> None:
        """Close the broker's connections and refuse new ones (port kept)."""
        self._check(
            self._lib.rd_kafka_mock_broker_set_down(self._cluster, broker_id),
            f"set broker {broker_id} down",
        )

    def set_broker_up(self, broker_id: int = 1) -> None:
        """Listen again on the broker's port."""
        self._check(
            self._lib.rd_kafka_mock_broker_set_up(self._cluster, broker_id),
            f"set broker {broker_id} up",
        )

    def close(self) -> None:
        """Stop the cluster and free it; idempotent."""
        if self._cluster:
            self._lib.rd_kafka_mock_cluster_destroy(self._cluster)
            self._cluster = None
        if self._handle:
            self._lib.rd_kafka_destroy(self._handle)
            self._handle = None

    def __enter__(self) -> MockKafkaCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def _check(error_code: int, action: str) -> None:
        if error_code != 0:
            name = confluent_kafka.KafkaError(error_code).name()
            raise RuntimeError(f"mock cluster: {action} failed: {name}")
