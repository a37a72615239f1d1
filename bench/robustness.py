"""Every robustness figure in one run: the hostile corpus, coverage-guided fuzzing, ingestion through the Polly
emulator under random faults, kill -9 of local-atlas writers, memory of a big parallel run and the token leak scan.
Prints one table (each invariant met or missed) and saves the figures as JSON under bench/results/.

Usage: python bench/robustness.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

from suite import Figures, Row, Table, by, command_line, verdict

FULL = {
    "hostile": ["bench_hostile.py"],
    "fuzz": ["fuzz_readers.py", "--target", "all", "--seconds", "120"],
    "polly-faults": ["bench_polly_faults.py", "--datasets", "1000", "--batch", "50", "--seed", "1"],
    "kill9": ["bench_kill9.py", "--runs", "50", "--writers", "1,2,3", "--seed", "7"],
    "parallel-memory": ["bench_parallel_memory.py", "--counts", "2500,5000,10000"],
    "leaks": ["bench_leaks.py"],
}
QUICK = {
    "hostile": ["bench_hostile.py", "--budget", "30"],
    "fuzz": ["fuzz_readers.py", "--target", "all", "--seconds", "15"],
    "polly-faults": ["bench_polly_faults.py", "--datasets", "100", "--batch", "20", "--seed", "1"],
    "kill9": ["bench_kill9.py", "--runs", "4", "--writers", "1,2", "--seed", "7"],
    "parallel-memory": ["bench_parallel_memory.py", "--counts", "500,1000"],
    "leaks": ["bench_leaks.py"],
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


def _fuzz_rows(figures: Figures) -> list[Row]:
    return [
        (
            f"fuzz {f['case']}: {f['executions']:,} executions in {f['seconds']:.0f} s",
            f"{f['exec_per_s']:,.0f} exec/s, {f['edges']} edges; crashes {f['crashes']}",
            "0 crashes",
            verdict(-f["crashes"], 0),
        )
        for f in by(figures, "fuzz")
    ]


def _polly_rows(figures: Figures) -> list[Row]:
    rows = []
    for f in by(figures, "polly-faults"):
        played = sum(f["played"].values()) if isinstance(f.get("played"), dict) else f.get("played")
        broken = f["lost"] + f["duplicated"] + f["half_ingested"] + f["wrong_bytes"] + f["failed_but_present"]
        rows.append(
            (
                f"Polly under faults, {f['case']}: {f['tried']} datasets, {played} faults",
                f"{f['ingested']} in, {f['failed']} failed, {f['unconfirmed']} unconfirmed -> "
                f"{f['unresolved']} open; lost {f['lost']}, duplicated {f['duplicated']}, half {f['half_ingested']}",
                "all 0",
                verdict(-(broken + f["unresolved"]), 0),
            )
        )
    return rows


def _kill9_rows(figures: Figures) -> list[Row]:
    rows = []
    for f in by(figures, "kill9"):
        if f["case"] == "disk-full":
            rows.append(
                (
                    f"local atlas, disk full ({f['method']})",
                    f"{f['datasets_before_full']} in before full; endings {f['endings']}; half {f['half']}, "
                    f"duplicated {f['duplicated']}",
                    "all 0",
                    verdict(-(f["half"] + f["duplicated"]), 0),
                )
            )
            continue
        broken = f["integrity_failures"] + f["datasets_half"] + f["datasets_duplicated"] + f["status_disagreements"]
        rows.append(
            (
                f"local atlas kill -9, {f['case']}: {f['runs']} runs, {f['kills']} processes killed",
                f"integrity failures {f['integrity_failures']}, half {f['datasets_half']}, duplicated "
                f"{f['datasets_duplicated']}, status disagreements {f['status_disagreements']}",
                "all 0",
                verdict(-broken, 0),
            )
        )
    return rows


def _memory_rows(figures: Figures) -> list[Row]:
    rows = []
    for f in by(figures, "parallel-memory"):
        if f["case"] == "growth":
            rows.append(
                (
                    "parallel validation: memory growth",
                    f"{f['mib_per_1000_files']:+.1f} MiB per 1,000 files",
                    "reported",
                    "-",
                )
            )
        else:
            rows.append(
                (
                    f"parallel validation, {f['case']}",
                    f"peak {f['peak_tree_mib']:.0f} MiB (all processes), {f['seconds']:.0f} s",
                    "<= 400 MiB",
                    verdict(f["peak_tree_mib"], 400, higher_is_better=False),
                )
            )
    return rows


def _leak_rows(figures: Figures) -> list[Row]:
    return [
        (
            f"token leak scan: {f['checks']} scans and trust checks",
            f"{f['failed']} found the token or failed",
            "0",
            verdict(-f["failed"], 0),
        )
        for f in by(figures, "leaks")
    ]


TABLES: list[Table] = [_hostile_rows, _fuzz_rows, _polly_rows, _kill9_rows, _memory_rows, _leak_rows]


def main() -> None:
    command_line("robustness", FULL, QUICK, TABLES, VERSIONS)


if __name__ == "__main__":
    main()
