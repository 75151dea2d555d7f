"""CPU time and resident memory of a process, read from /proc (Linux)."""

from __future__ import annotations

import os
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory of a process now."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def thread_count(pid: int) -> int:
    """Threads of a process now."""
    return len(os.listdir(f"/proc/{pid}/task"))


class CpuMeter:
    """Share of one core a process used between `start` and `percent`."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._cpu = cpu_seconds(pid)
        self._at = time.monotonic()

    def percent(self) -> float:
        """Percent of one core since the meter was made."""
        used = cpu_seconds(self._pid) - self._cpu
        return 100 * used / (time.monotonic() - self._at)
