"""BufferFactory: picks the storage for a key from the type of its first value."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import scipp as sc

from app.data.buffer import Buffer, BufferInterface, MemoryGrant, ReadsFrames
from app.data.frame_references import FrameReferences
from app.data.list_buffer import ListBuffer
from app.data.scipp_buffers import DataArrayBuffer, VariableBuffer

T = TypeVar("T")

logger = logging.getLogger(__name__)

REFERENCE_MIN_BYTES = 16 * 1024
"""Frames from this size on are kept by reference where their subscribers
allow it (decision 016); smaller ones are copied into a stack."""


class BufferFactory:
    """Creates buffers whose storage suits the value's type.

    Dispatch follows the type's MRO, so subclasses of a registered type get its
    storage. A value the chosen storage cannot stack (one that already has a
    `concat_dim` dimension, say) and any unregistered type get a `ListBuffer`,
    which keeps frames as objects.
    """

    def __init__(
        self,
        concat_dim: str = "time",
        initial_capacity: int = 100,
        overallocation_factor: float = 2.5,
        reference_min_bytes: int = REFERENCE_MIN_BYTES,
    ) -> None:
        self._concat_dim = concat_dim
        self._reference_min_bytes = reference_min_bytes
        self._initial_capacity = initial_capacity
        self._overallocation_factor = overallocation_factor
        self._buffer_impls: dict[type, Callable[[], BufferInterface[Any]]] = {
            sc.DataArray: lambda: DataArrayBuffer(concat_dim=self._concat_dim),
            sc.Variable: lambda: VariableBuffer(concat_dim=self._concat_dim),
        }

    @property
    def concat_dim(self) -> str:
        return self._concat_dim

    def register_buffer_impl(
        self, data_type: type, impl_factory: Callable[[], BufferInterface[Any]]
    ) -> None:
        """Use the storage made by `impl_factory` for values of `data_type`."""
        self._buffer_impls[data_type] = impl_factory

    def create_buffer(
        self,
        template: T,
        max_size: int,
        by_reference: bool = False,
        memory: MemoryGrant | None = None,
    ) -> Buffer[T]:
        """A buffer keeping `max_size` frames like `template` (nothing appended yet).

        With `by_reference`, frames that would be stacked and hold at least
        `reference_min_bytes` are checked as for a stack and kept as they are
        (`FrameReferences`, decision 016). `memory` is asked before the
        buffer's storage grows (see `Buffer`).
        """
        impl = self._impl_for(template)
        if self.keeps_by_reference(template, impl, by_reference):
            impl = FrameReferences(impl)
        return Buffer(
            max_size=max_size,
            buffer_impl=impl,
            initial_capacity=self._initial_capacity,
            overallocation_factor=self._overallocation_factor,
            concat_dim=self._concat_dim,
            memory=memory,
        )

    def keeps_by_reference(
        self, template: Any, impl: BufferInterface[Any], by_reference: bool
    ) -> bool:
        """Whether frames like `template`, which `impl` would stack, are kept by
        reference when their subscribers read them one at a time: only large
        ones, since a kept frame costs its scipp objects (~1 KiB) beside its
        data, and copying a small one costs next to nothing."""
        return (
            by_reference
            and isinstance(impl, ReadsFrames)
            and template.underlying_size() >= self._reference_min_bytes
        )

    def _impl_for(self, template: Any) -> BufferInterface[Any]:
        for data_type in type(template).__mro__:
            make_impl = self._buffer_impls.get(data_type)
            if make_impl is None:
                continue
            impl = make_impl()
            reason = impl.accepts(template)
            if reason is None:
                return impl
            logger.debug("keeping %s frames as objects: %s", data_type.__name__, reason)
            break
        return ListBuffer()
