"""Tests of the allocator: storage a process frees is reused, not mapped afresh."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

# A 40 MB stack freed, then another one filled: the page faults the second costs.
SCRIPT = """
import resource, sys
import numpy as np
from app.ingestion.allocator import reuse_freed_storage
if sys.argv[1] == "set":
    assert reuse_freed_storage()
for _ in range(3):
    stack = np.ones(5_000_000)
    del stack
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
stack = np.ones(5_000_000)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults_of_a_second_stack(mode: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout)


@pytest.mark.skipif(
    not hasattr(ctypes.CDLL(None), "mallopt"), reason="needs glibc's mallopt"
)
def test_a_freed_stack_is_reused_without_touching_new_pages() -> None:
    # Counts depend on the page size the kernel maps (4 KiB or 2 MiB pages).
    fresh = faults_of_a_second_stack("default")
    assert fresh >= 10, "glibc maps a 40 MB block afresh by default"
    assert faults_of_a_second_stack("set") <= fresh // 10
