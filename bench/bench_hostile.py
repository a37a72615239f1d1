"""The hostile corpus, end to end: every case of fixtures/hostile run as a real `omix validate` process under the
runner's wall-clock budget and address-space cap, two at a time, and counted by how it ended.

The endings `finding`, `usage` and `clean` are the acceptable ones (and each case says which it must reach); every
other ending (hang, killed, traceback, crash = OMX990, internal, noise on stderr, wrote = files left behind) is a
defect, and so is an acceptable ending other than the declared one (a broken input that passes, say).

Usage: python bench/bench_hostile.py [--budget SECONDS] [--jobs N] [--only FAMILY ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import record  # noqa: E402

from fixtures.hostile.families import all_cases  # noqa: E402
from fixtures.hostile.model import Case  # noqa: E402
from fixtures.hostile.runner import ADDRESS_SPACE, BUDGET_SECONDS, Outcome, run_case  # noqa: E402


def _run(case: Case, budget: float) -> Outcome:
    scratch = Path(tempfile.mkdtemp(prefix="omix-hostile-"))
    try:
        return run_case(case, scratch, budget=budget)
    finally:  # rm, not shutil.rmtree: a case's tree can be 3,000 levels deep, past Python's recursion limit
        subprocess.run(["rm", "-rf", "--", str(scratch)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=BUDGET_SECONDS, help="wall-clock seconds per case")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="only these families")
    args = parser.parse_args()
    cases = [case for case in all_cases() if not args.only or case.family in args.only]
    started = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        outcomes = list(pool.map(lambda case: _run(case, args.budget), cases))
    wall = time.perf_counter() - started
    families = sorted({case.family for case in cases})
    print(f"{len(cases)} hostile inputs, budget {args.budget:.0f} s each, address space {ADDRESS_SPACE >> 20} MiB")
    print(f"{'family':<10} {'cases':>5} {'finding':>8} {'usage':>6} {'clean':>6} {'defects':>8} {'slowest':>8}")
    for family in [*families, "all"]:
        mine = [o for c, o in zip(cases, outcomes, strict=True) if family in ("all", c.family)]
        endings = Counter(o.ending for o in mine if o.ok)
        defects = [o for o in mine if not o.ok]
        slowest = max(o.seconds for o in mine)
        print(
            f"{family:<10} {len(mine):>5} {endings['finding']:>8} {endings['usage']:>6} {endings['clean']:>6} "
            f"{len(defects):>8} {slowest:>7.1f}s"
        )
        record(
            "hostile",
            family,
            cases=len(mine),
            finding=endings["finding"],
            usage=endings["usage"],
            clean=endings["clean"],
            defects=len(defects),
            defects_by_ending=dict(Counter(o.ending for o in defects)),
            slowest_seconds=round(slowest, 2),
            budget_seconds=args.budget,
            address_space_mib=ADDRESS_SPACE >> 20,
        )
    for outcome in outcomes:
        if not outcome.ok:
            print(f"DEFECT {outcome.case}: {outcome.ending}: {outcome.detail}")
    print(f"wall time {wall:.1f} s")


if __name__ == "__main__":
    main()
