"""Every robustness figure in one run: the hostile corpus, coverage-guided fuzzing, ingestion through the Polly
emulator under random faults, kill -9 of local-atlas writers, memory of a big parallel run and the token leak scan.
Prints one table (each invariant met or missed) and saves the figures as JSON under bench/results/.

Usage: python bench/robustness.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import sys

from suite import Figures, Row, Table, by, run_suite, verdict

FULL = {
    "hostile": ["bench_hostile.py"],
}
QUICK = {
    "hostile": ["bench_hostile.py", "--budget", "30"],
}
VERSIONS = ("omix-ingest", "anndata", "h5py", "pysam", "cmapPy", "pandas", "jsonschema", "hypothesis", "atheris")


def _hostile_rows(figures: Figures) -> list[Row]:
    rows = []
    for f in by(figures, "hostile"):
        endings = f"{f['finding']} finding, {f['usage']} usage, {f['clean']} clean"
        defects = ", ".join(f"{n} {ending}" for ending, n in sorted(f["defects_by_ending"].items())) or "none"
        rows.append(
            (
                f"hostile inputs, {f['case']}: {f['cases']} cases",
                f"{endings}; defects: {defects}",
                "0 defects",
                verdict(-f["defects"], 0),
            )
        )
    return rows


TABLES: list[Table] = [_hostile_rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", help="run only these parts")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    names = args.only or list(plan)
    sys.exit(run_suite("robustness", plan, TABLES, names=names, quick=args.quick, versions=VERSIONS))


if __name__ == "__main__":
    main()
