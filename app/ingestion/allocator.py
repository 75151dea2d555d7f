"""The C allocator of a dashboard process: storage a history retires is reused,
not handed back to the kernel and mapped afresh (decision 024).

A full window moves its kept frames into new storage (decision 001). glibc
serves a block above its mmap threshold with fresh pages and unmaps it when
freed, so every move touches every page for the first time; the threshold
also moves by itself with what was freed, which makes one process of the same
program fast and the next slow. A fixed threshold above the stacks a window
uses keeps such blocks in the heap, where the next stack of that size reuses
them.
"""

from __future__ import annotations

import ctypes
import logging

logger = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""glibc's `mallopt` parameters (malloc.h)."""

MMAP_THRESHOLD_BYTES = 64 << 20
"""Blocks up to 64 MiB come from the heap: the stack of a 100-frame window of
128x128 images (250 slots, 33 MB) or a 1000-frame window of 1000-bin spectra
(2,500 slots, 20 MB) included."""

TRIM_THRESHOLD_BYTES = 256 << 20
"""Free memory at the heap's top beyond this is handed back to the kernel."""


def reuse_freed_storage() -> bool:
    """Fix the allocator's thresholds for this process; False where it cannot.

    Only glibc's `mallopt` is called; another C library keeps its own ways.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        logger.info("no mallopt in this process: the allocator keeps its defaults")
        return False
    done = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    return mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1 and done
