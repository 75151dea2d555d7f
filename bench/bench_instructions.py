"""Benchmark: instructions per `ds[k] = v`, ours against the note's, under callgrind.

On this shared virtual machine CPU time per update moves by up to 1.7x with
what the host runs beside us, and ours (Python and scipp's bindings) moves more
than the note's baseline (mostly copies): the ratio in `bench_data_service.py`
depends on that. Instructions do not: callgrind counts the same total for the
same program, whatever else the machine does. This prints, for the rows whose
ratio is closest to the target, instructions per update of ours and of the
note's strategy as the facility implements it (`note_baseline.py`), each the
difference of two runs (with and without the measured updates), and their
ratio; then the scalar and spectrum rows with datetime64 timestamps, as the
decoders make them (a datetime costs scipp more to read). glibc is told not
to copy with `rep movsb`, which callgrind would count once per byte and so
inflate whoever copies more (the note). Also the
instructions to register a subscriber per key for 10,000 keys against 1,000
(`bench_extractors.py`'s scenario), whose time ratio the machine moves most.
Needs valgrind.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_data_service import (
    DATETIME_SCENARIOS,
    SCENARIOS,
    baseline_service,
    ours_service,
)

ROWS = ["scalar_w100", "spectrum1000_w10", "image128_latest"]
# The same rows with datetime64 timestamps, as the decoders make them.
DATETIME = "@datetime64"
DATETIME_ROWS = [f"{name}{DATETIME}" for name in ("scalar_w100", "spectrum1000_w10")]
UPDATES = 2_000
ENV = {
    "PYTHONHASHSEED": "0",  # the same dict layouts in every run
    "OPENBLAS_NUM_THREADS": "1",  # no spinning BLAS threads in the count
    "GLIBC_TUNABLES": "glibc.cpu.x86_rep_movsb_threshold=1000000000"
    ":glibc.cpu.x86_rep_stosb_threshold=1000000000",
}


def drive(name: str, updates: int, who: str) -> None:
    """Warm a service (ours or the note's) up, then make `updates` updates."""
    scenarios = SCENARIOS
    if name.endswith(DATETIME):
        name, scenarios = name.removesuffix(DATETIME), DATETIME_SCENARIOS
    scenario = next(s for s in scenarios if s.name == name)
    frames = scenario.frames(16)
    if who == "ours":
        _, update = ours_service(scenario, frames)
    else:
        update = baseline_service(scenario, frames)
    for i in range(updates):
        update(frames[i % len(frames)])


def instructions(name: str, updates: int, who: str) -> int:
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "drive",
            name,
            str(updates),
            who,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        cwd=Path(__file__).parent,
        check=True,
    )
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def difference(measured: tuple, setup: tuple) -> int:
    """``instructions(*measured) - instructions(*setup)``, both run at once:
    counts do not depend on what runs beside them."""
    with ThreadPoolExecutor(2) as pool:
        with_measured, setup_only = pool.map(
            lambda args: instructions(*args), (measured, setup)
        )
    return with_measured - setup_only


def per_update(name: str, who: str) -> float:
    return difference((name, UPDATES, who), (name, 0, who)) / UPDATES


def register(keys: int, count: int) -> None:
    """Set up `keys` keys as `bench_extractors` does; register only if `count`."""
    import bench_extractors

    if not count:
        bench_extractors.DataService.register_subscriber = lambda *args, **kw: None
    bench_extractors.registration(keys)


def registering(keys: int) -> int:
    """Instructions to register the subscribers of `keys` keys (setup apart)."""
    return difference(("register", keys, "1"), ("register", keys, "0"))


def main() -> None:
    if shutil.which("valgrind") is None:
        print("skipped: valgrind is not installed (apt-get install valgrind)")
        return
    print(f"instructions per update under callgrind, {UPDATES} updates")
    for name in ROWS + DATETIME_ROWS:
        ours, note = per_update(name, "ours"), per_update(name, "note")
        print(
            f"{name:31s} ours {ours:9.0f}  note {note:9.0f}"
            f"  ratio {note / ours:5.2f}x (target >= 4 in time)"
        )
    # Registering keys: the instructions, unlike the time, are not moved by
    # where the machine's caches and neighbours stand, so they show linearity.
    small, large = registering(1_000), registering(10_000)
    print(
        f"registering 1,000 keys {small / 1e6:7.1f} M instructions, 10,000 keys"
        f" {large / 1e6:7.1f} M: ratio {large / small:5.2f} (target <= 12, linear)"
    )


if __name__ == "__main__":
    if sys.argv[1:3] == ["drive", "register"]:
        register(int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1:2] == ["drive"]:
        drive(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
