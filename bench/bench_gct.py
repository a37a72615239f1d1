"""GCT validation next to cmapPy's parser, on realistic expression data: every row holds one NaN (common in real
data: the batch screen of validators/gct/screen.py must judge a marker cell in every row), plus a clean file of the
same size.

Each figure is one fresh process (`bench/peak.py`): `omix validate FILE --format json` (process start, imports,
hashing and the report included) against `cmapPy.pandasGEXpress.parse.parse(FILE)` and, as the floor,
`pandas.read_csv(FILE, sep="\\t", skiprows=2)`.

Usage: python bench/bench_gct.py [--rows 20000] [--cols 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peak import measure
from results import record


def write_gct(path: Path, rows: int, cols: int, *, nan_per_row: bool) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(f"#1.2\n{rows}\t{cols}\n")
        handle.write("\t".join(["Name", "Description", *(f"S{i}" for i in range(cols))]) + "\n")
        for row in range(rows):
            cells = [f"{rng.random() * 10:.4f}" for _ in range(cols)]
            if nan_per_row:
                cells[rng.randrange(cols)] = "NaN"
            handle.write("\t".join([f"GENE{row}", "na", *cells]) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--cols", type=int, default=1_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="omix-bench-gct-"))
    python = sys.executable
    print(f"{'file':<22} {'tool':<10} {'seconds':>8} {'peak MiB':>9} {'vs cmapPy':>10}")
    for label, nan in (("one NaN per row", True), ("clean", False)):
        path = folder / f"GSE1_GPL1_{'nan' if nan else 'clean'}.gct"
        write_gct(path, args.rows, args.cols, nan_per_row=nan)
        runs = {
            "omix": measure([python, "-m", "omix_ingest.cli", "validate", str(path), "--format", "json"]),
            "cmapPy": measure(
                [python, "-W", "ignore", "-c", f"from cmapPy.pandasGEXpress.parse import parse; parse({str(path)!r})"]
            ),
            "pandas": measure(
                [python, "-c", f"import pandas as pd; pd.read_csv({str(path)!r}, sep='\\t', skiprows=2)"]
            ),
        }
        record(
            "gct",
            label,
            rows=args.rows,
            cols=args.cols,
            **{f"{tool}_seconds": run.seconds for tool, run in runs.items()},
            **{f"{tool}_peak_mib": run.peak_mib for tool, run in runs.items()},
        )
        for tool, run in runs.items():
            ratio = runs["cmapPy"].seconds / run.seconds
            print(f"{label:<22} {tool:<10} {run.seconds:>8.2f} {run.peak_mib:>9.0f} {ratio:>9.2f}x")
    print(f"({args.rows} rows x {args.cols} samples; 'vs cmapPy' above 1 means faster than cmapPy)")


if __name__ == "__main__":
    main()
