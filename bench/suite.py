"""Run a suite of benchmarks, each in a fresh process, collect the figures they record (bench/results.py), print
one table of measured values next to their targets (met, or missed by how much) and save figures, machine,
versions and the exact commands as JSON under bench/results/. `run_all.py` (peer comparisons) and
`robustness.py` (hostile inputs, faults, kills, leaks) are two suites of this kind."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"

Row = tuple[str, str, str, str]  # what, measured, target, verdict
Figures = list[dict[str, Any]]
Table = Callable[[Figures], list[Row]]


def verdict(value: float, target: float, *, higher_is_better: bool = True) -> str:
    met = value >= target if higher_is_better else value <= target
    if met:
        return "met"
    if value == 0 or target == 0:
        return "missed"
    shortfall = value / target if higher_is_better else target / value
    return f"missed ({shortfall:.0%} of target)"


def by(figures: Figures, bench: str) -> Figures:
    return [f for f in figures if f["bench"] == bench]


def _versions(names: Sequence[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def run_suite(
    suite: str,
    plan: dict[str, list[str]],
    tables: Sequence[Table],
    *,
    names: Sequence[str],
    quick: bool,
    versions: Sequence[str],
) -> int:
    """Run `names` from `plan` (name → script and arguments), print the table, save the JSON; 1 if any run failed."""
    figures_file = Path(tempfile.mkstemp(prefix="omix-bench-", suffix=".jsonl")[1])
    env = {**os.environ, "OMIX_BENCH_RESULTS": str(figures_file), "PYTHONPATH": str(BENCH.parent)}
    runs = []
    for name in names:
        command = [sys.executable, str(BENCH / plan[name][0]), *plan[name][1:]]
        print(f"== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        print(proc.stdout, end="", flush=True)
        runs.append(
            {
                "name": name,
                "command": command[1:],
                "seconds": time.perf_counter() - started,
                "returncode": proc.returncode,
                "stdout": proc.stdout,
                "stderr": proc.stderr[-4000:],
            }
        )
        if proc.returncode != 0:
            print(f"   failed ({proc.returncode}): {proc.stderr[-2000:]}", flush=True)
    figures = [json.loads(line) for line in figures_file.read_text(encoding="utf-8").splitlines() if line]
    figures_file.unlink()
    rows = [row for table in tables for row in table(figures)]
    width = max([len(r[0]) for r in rows] + [10])
    print()
    print(f"{'what':<{width}}  {'measured':<40} {'target':<16} verdict")
    for what, measured, target, outcome in rows:
        print(f"{what:<{width}}  {measured:<40} {target:<16} {outcome}")
    machine = {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    prefix = "" if suite == "peers" else f"{suite}-"
    out = RESULTS / f"{prefix}{stamp}{'-quick' if quick else ''}.json"
    body = {
        "suite": suite,
        "machine": machine,
        "versions": _versions(versions),
        "quick": quick,
        "runs": runs,
        "figures": figures,
        "table": [dict(zip(("what", "measured", "target", "verdict"), r, strict=True)) for r in rows],
    }
    out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(f"\nsaved {out.relative_to(BENCH.parent)}")
    return 1 if any(r["returncode"] for r in runs) else 0


def command_line(
    suite: str,
    full: dict[str, list[str]],
    quick: dict[str, list[str]],
    tables: Sequence[Table],
    versions: Sequence[str],
) -> None:
    """The `--quick` / `--only NAME ...` command line every suite script shares; exits with run_suite's code."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run; not figures to quote")
    parser.add_argument("--only", nargs="*", help="run only these parts")
    args = parser.parse_args()
    plan = quick if args.quick else full
    sys.exit(run_suite(suite, plan, tables, names=args.only or list(plan), quick=args.quick, versions=versions))
