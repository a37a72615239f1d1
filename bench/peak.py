"""Run one command in a child process and report its wall time and peak resident memory.

Used by the benchmarks so that every figure (ours and the peers') is measured the same way, in a fresh process.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_mib: float
    returncode: int
    stdout: str


def measure(argv: list[str]) -> Measurement:
    """Wall time and peak RSS of `argv`, run through a tiny wrapper so the peak is that child's alone."""
    wrapper = (
        "import resource, subprocess, sys;"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "sys.stdout.write(p.stdout);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
        "sys.exit(p.returncode)"
    )
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", wrapper, *argv], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return Measurement(seconds, peak_kib / 1024, proc.returncode, proc.stdout)


def self_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
