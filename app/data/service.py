"""DataService: a dict-like store whose storage is one buffer per key."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, runtime_checkable

from .buffer import Buffer, FrameMismatchError
from .extractors import LatestValueExtractor, Retention, UpdateExtractor
from .factory import BufferFactory

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

logger = logging.getLogger(__name__)

_LATEST = LatestValueExtractor()


@runtime_checkable
class SubscriberProtocol(Protocol[K]):
    """A consumer of some keys, each seen through its extractor."""

    @property
    def keys(self) -> set[K]:
        """The keys this subscriber depends on."""
        ...

    @property
    def extractors(self) -> Mapping[K, UpdateExtractor]:
        """How to see each key's buffer; keys not listed get the latest value."""
        ...

    def trigger(self, store: dict[K, Any]) -> None:
        """Receive the extracted data of the keys updated by one transaction."""
        ...


@dataclass(frozen=True)
class BufferStats:
    """What one key's buffer holds, for monitoring memory."""

    frames: int
    max_size: int
    capacity: int
    nbytes: int
    restarts: int


@dataclass(frozen=True)
class KeyInfo:
    """What a key's current history holds, for choosing and labelling its plots.

    Parameters
    ----------
    kind:
        ``type(value).__name__`` of the history's first value.
    ndim:
        Dimensions of a frame (None for a value without ``ndim``).
    dims, shape:
        Of a frame; empty for a value without them.
    unit:
        ``str`` of the frame's unit, or None.
    dtype:
        ``str`` of the frame's dtype, or None.
    restarts:
        How often the key's history restarted because a value no longer fit.
    binned:
        Whether a frame is binned (event) data: ``dtype`` then names its bins'.
    """

    kind: str
    ndim: int | None
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    unit: str | None
    dtype: str | None
    restarts: int
    binned: bool = False

    @classmethod
    def of(cls, value: Any, restarts: int) -> KeyInfo:
        """Describe a key whose history starts with `value`."""
        unit = getattr(value, "unit", None)
        dtype = getattr(value, "dtype", None)
        return cls(
            kind=type(value).__name__,
            ndim=getattr(value, "ndim", None),
            dims=tuple(getattr(value, "dims", ())),
            shape=tuple(getattr(value, "shape", ())),
            unit=None if unit is None else str(unit),
            dtype=None if dtype is None else str(dtype),
            restarts=restarts,
            binned=getattr(value, "bins", None) is not None,
        )


@dataclass(frozen=True, eq=False)
class _Subscription:
    """A subscriber with its keys and extractors read once, at registration."""

    subscriber: Any
    # None for a legacy callable, which gets the names of the updated keys.
    keys: frozenset[Any] | None
    extractors: Mapping[Any, UpdateExtractor]

    @classmethod
    def of(cls, subscriber: Any) -> _Subscription:
        if not (hasattr(subscriber, "keys") and hasattr(subscriber, "trigger")):
            if not callable(subscriber):
                raise TypeError(
                    "a subscriber needs `keys` and `trigger`, or must be callable; "
                    f"got {type(subscriber).__name__}"
                )
            return cls(subscriber=subscriber, keys=None, extractors={})
        keys = frozenset(subscriber.keys)
        declared = getattr(subscriber, "extractors", None) or {}
        extractors = {}
        for key in keys:
            extractor = declared.get(key, _LATEST)
            if not isinstance(extractor, UpdateExtractor):
                raise TypeError(
                    f"key {key!r}: extractor must have `retention` and `extract`, "
                    f"got {type(extractor).__name__}"
                )
            extractors[key] = extractor
        return cls(subscriber=subscriber, keys=keys, extractors=extractors)


class DataService(MutableMapping[K, V]):
    """Dict-like store of keyed values; the storage is one `Buffer` per key.

    ``ds[key] = value`` appends one frame to the key's buffer and ``ds[key]``
    returns the latest. Each buffer keeps as many frames as the most demanding
    subscriber of its key needs (see `UpdateExtractor.retention`). Subscribers
    are notified once per outermost `transaction`, each with what its
    extractors take from the buffers of its updated keys, so no intermediate
    update is lost to a subscriber that wants a window.

    Safe to use from several threads: one re-entrant lock is held through each
    transaction and its notifications.

    Parameters
    ----------
    buffer_factory:
        Makes each key's buffer; a default `BufferFactory()` if not given.
    """

    def __init__(self, buffer_factory: BufferFactory | None = None) -> None:
        self._buffer_factory = buffer_factory or BufferFactory()
        self._buffers: dict[K, Buffer[V]] = {}
        self._subscriptions: list[_Subscription] = []
        self._lock = threading.RLock()
        self._transaction_depth = 0
        # A dict keeps the order in which keys were first updated.
        self._pending: dict[K, None] = {}
        self._restarts: Counter[K] = Counter()
        self._failed_triggers = 0
        # Replaced, never mutated, so readers need no lock (see `catalog`).
        self._catalog: Mapping[K, KeyInfo] = MappingProxyType({})
        # Changes since the last publication: one copy per transaction, not per key.
        self._catalog_changes: dict[K, KeyInfo | None] = {}

    def __getitem__(self, key: K) -> V:
        with self._lock:
            return self._buffers[key].get_latest()

    def __setitem__(self, key: K, value: V) -> None:
        with self._lock:
            self._append(key, value)
            self._pending[key] = None
            if self._transaction_depth == 0:
                self._notify()

    def __delitem__(self, key: K) -> None:
        with self._lock:
            del self._buffers[key]
            self._publish(key, None)
            self._pending[key] = None
            if self._transaction_depth == 0:
                self._notify()

    def __contains__(self, key: object) -> bool:
        return key in self._buffers

    def __iter__(self) -> Iterator[K]:
        with self._lock:
            return iter(list(self._buffers))

    def __len__(self) -> int:
        return len(self._buffers)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Apply updates now, notify subscribers once when the outermost block ends.

        Other threads wait until the block and its notifications are done, so
        nobody sees half a transaction. Subscribers are notified of what was
        applied even if the block raises.
        """
        with self._lock:
            self._transaction_depth += 1
            try:
                yield
            finally:
                self._transaction_depth -= 1
                if self._transaction_depth == 0:
                    self._notify()

    def register_subscriber(
        self,
        subscriber: SubscriberProtocol[K] | Callable[[set[K]], None],
        *,
        replay: bool = False,
    ) -> None:
        """Notify `subscriber` of updates from now on; grow its keys' buffers.

        Parameters
        ----------
        subscriber:
            A `SubscriberProtocol` (keys and extractors are read now; register
            again to change them) or a plain callable that receives the set of
            updated keys.
        replay:
            Trigger the subscriber at once with the data its keys already hold.
        """
        subscription = _Subscription.of(subscriber)
        with self._lock:
            self._subscriptions.append(subscription)
            for key in subscription.keys or ():
                if key in self._buffers:
                    self._grow(key)
            if replay:
                present = {key: None for key in self._buffers}
                self._deliver(subscription, present, cache={})

    def unregister_subscriber(self, subscriber: object) -> bool:
        """Stop notifying `subscriber`; buffers keep their size.

        Returns
        -------
        :
            Whether the subscriber was registered.
        """
        with self._lock:
            for index, subscription in enumerate(self._subscriptions):
                if subscription.subscriber is subscriber:
                    del self._subscriptions[index]
                    return True
            return False

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    @property
    def failed_triggers(self) -> int:
        """How often a subscriber raised while being notified."""
        return self._failed_triggers

    def buffer(self, key: K) -> Buffer[V]:
        """The buffer of `key` (read it under `transaction()` from other threads)."""
        return self._buffers[key]

    def buffer_stats(self) -> dict[K, BufferStats]:
        """Per key: frames held, max size, allocated slots, bytes and restarts."""
        with self._lock:
            return {
                key: BufferStats(
                    frames=len(buffer),
                    max_size=buffer.max_size,
                    capacity=buffer.capacity,
                    nbytes=buffer.nbytes,
                    restarts=self._restarts[key],
                )
                for key, buffer in self._buffers.items()
            }

    def catalog(self) -> Mapping[K, KeyInfo]:
        """Every key with what its history holds; never waits on a transaction.

        A snapshot: it changes only when a key appears, restarts or is deleted,
        and a new snapshot replaces it whole, so sessions on the event loop can
        list keys while ingestion applies a batch.
        """
        return self._catalog

    def memory_bytes(self) -> int:
        """Bytes held by all buffers."""
        with self._lock:
            return sum(buffer.nbytes for buffer in self._buffers.values())

    def _required_retention(self, key: K) -> Retention:
        retention = Retention()
        for subscription in self._subscriptions:
            if subscription.keys is not None and key in subscription.keys:
                retention = retention.union(subscription.extractors[key].retention())
        return retention

    def _grow(self, key: K) -> None:
        buffer = self._buffers[key]
        frames = self._required_retention(key).frames
        try:
            buffer.set_max_size(frames)
        except FrameMismatchError as error:
            latest = buffer.get_latest()
            self._restart(key, buffer, latest, error)

    def _append(self, key: K, value: V) -> None:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffer_factory.create_buffer(
                value, self._required_retention(key).frames
            )
            self._append_new(key, buffer, value)
            self._buffers[key] = buffer
            self._publish(key, KeyInfo.of(value, self._restarts[key]))
            return
        try:
            buffer.append(value)
        except FrameMismatchError as error:
            self._restart(key, buffer, value, error)

    def _restart(self, key: K, old: Buffer[V], value: V, error: Exception) -> None:
        buffer = self._buffer_factory.create_buffer(value, old.max_size)
        self._append_new(key, buffer, value)
        self._buffers[key] = buffer
        self._restarts[key] += 1
        self._publish(key, KeyInfo.of(value, self._restarts[key]))
        logger.warning(
            "key %r: %s; starting a new history (dropped %d frames)",
            key,
            error,
            len(old),
        )

    @staticmethod
    def _append_new(key: K, buffer: Buffer[V], value: V) -> None:
        try:
            buffer.append(value)
        except Exception as error:
            raise ValueError(
                f"key {key!r}: cannot store a {type(value).__name__}: {error}"
            ) from error

    def _publish(self, key: K, info: KeyInfo | None) -> None:
        self._catalog_changes[key] = info
        if self._transaction_depth == 0:
            self._flush_catalog()

    def _flush_catalog(self) -> None:
        if not self._catalog_changes:
            return
        catalog = dict(self._catalog)
        for key, info in self._catalog_changes.items():
            if info is None:
                catalog.pop(key, None)
            else:
                catalog[key] = info
        self._catalog_changes = {}
        self._catalog = MappingProxyType(catalog)

    def _notify(self) -> None:
        self._flush_catalog()
        if not self._pending:
            return
        updated, self._pending = self._pending, {}
        cache: dict[Any, Any] = {}
        # A copy: a subscriber may (un)register others while being notified.
        for subscription in list(self._subscriptions):
            self._deliver(subscription, updated, cache)

    def _deliver(
        self, subscription: _Subscription, updated: dict[K, None], cache: dict[Any, Any]
    ) -> None:
        try:
            if subscription.keys is None:
                subscription.subscriber(set(updated))
                return
            store = {}
            for key in updated:
                if key not in subscription.keys:
                    continue
                buffer = self._buffers.get(key)
                if buffer is None:
                    continue
                data = self._extract(key, buffer, subscription.extractors[key], cache)
                if data is not None:
                    store[key] = data
            if store:
                subscription.subscriber.trigger(store)
        except Exception:
            self._failed_triggers += 1
            logger.exception(
                "subscriber %r failed on keys %s",
                subscription.subscriber,
                list(updated),
            )

    @staticmethod
    def _extract(
        key: K, buffer: Buffer[V], extractor: UpdateExtractor, cache: dict[Any, Any]
    ) -> Any:
        # Subscribers sharing an extractor on a key share one extraction: what is
        # handed out is never changed by later appends.
        try:
            return cache[key, extractor]
        except KeyError:
            data = cache[key, extractor] = extractor.extract(buffer)
            return data
        except TypeError:
            return extractor.extract(buffer)
