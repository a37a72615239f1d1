"""Start-up cost of `omix validate` as a pre-commit hook runs it: the interpreter alone, the import of the validate
path, and a warm 20-file metadata run end to end (the ontology benchmark's files, warnings and broken files
included; ontology indexes already built).

Modules load from bytecode, as in the environment pre-commit builds (pip compiles on install); the bytecode goes
to a private cache under the benchmark's scratch folder (PYTHONPYCACHEPREFIX), never into the source tree. (With
PYTHONDONTWRITEBYTECODE=1 and no bytecode beside the sources, every project module is compiled on every run
instead: some 0.1 s more, which no installed hook pays.)
Runs are interleaved so that a busy machine slows every figure alike; medians and best runs are printed, wall
time and the processes' CPU time (user + system, which waiting for a shared core does not inflate).

Usage: python bench/bench_startup.py [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_metadata import TEMPLATE, generate  # noqa: E402
from results import record  # noqa: E402

IMPORT_VALIDATE = "import omix_ingest.cli.main, omix_ingest.cli.validate_cmd"


def environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    env["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")
    env["OMIX_CACHE_DIR"] = str(work / "cache")
    env["OMIX_ONTOLOGY_DIR"] = os.environ.get("OMIX_ONTOLOGY_DIR") or str(ROOT / ".test-envs" / "ontologies")
    return env


def commands(folder: Path, report: Path) -> dict[str, list[str]]:
    run = [sys.executable, "-m", "omix_ingest.cli", "validate", "--template", str(TEMPLATE), "-q"]
    return {
        "interpreter": [sys.executable, "-c", "pass"],
        "import": [sys.executable, "-c", IMPORT_VALIDATE],
        "20 files": [*run, "--format", "json", "-o", str(report), str(folder)],
    }


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
    return elapsed, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omix-bench-startup-"))
    try:
        folder = work / "20"
        folder.mkdir()
        generate(folder, 20, warnings=True)
        env = environment(work)
        cmds = commands(folder, work / "report.json")
        for cmd in cmds.values():  # bytecode written, ontology indexes and page cache warm
            timed(cmd, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
        for _ in range(args.repeat):
            for name, cmd in cmds.items():
                times[name].append(timed(cmd, env))
        figures: dict[str, float] = {}
        for name, runs in times.items():
            key = name.replace(" ", "_")
            wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
            figures[f"{key}_seconds"], figures[f"{key}_cpu_seconds"] = statistics.median(wall), statistics.median(cpu)
            print(
                f"{name:11}: wall median {statistics.median(wall):.3f} s, best {min(wall):.3f} s; "
                f"CPU median {statistics.median(cpu):.3f} s, best {min(cpu):.3f} s ({len(runs)} runs)"
            )
        imports = figures["import_seconds"] - figures["interpreter_seconds"]
        print(f"import of the validate path over the bare interpreter: {imports:.3f} s")
        print(f"warm 20-file run, end to end: {figures['20_files_seconds']:.3f} s (target < 0.3 s)")
        record("startup", "20 files", **figures)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
