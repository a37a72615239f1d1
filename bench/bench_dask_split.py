"""One large bgzipped, indexed VCF: `omix validate` locally, on a Dask LocalCluster of 2 workers as one task, and on
the same cluster split into parts (OMIX_SPLIT_MIN_BYTES=1). Each run is a fresh `omix` process; the three JSON
reports must agree (apart from creation time and signature), and the parts are counted as the executor plans them.

The records are bench_vcf.py's (sorted, 22 contigs, two samples). With 2 cores a split can at best halve the line
pass, while the htslib read and the digest still run once beside it, and the LocalCluster's start (a few seconds)
is paid by both Dask runs: on a machine this small the figure says what splitting costs, not what a cluster gains.

Usage: python bench/bench_dask_split.py [--records N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vcf import bgzipped, ensure
from peak import measure
from results import record

WORKERS = 2
SPLIT_ENV = "OMIX_SPLIT_MIN_BYTES"


def comparable(out: str) -> bytes:
    report = json.loads(out)
    del report["created"], report["signature"]
    return orjson.dumps(report)


def indexed(path: Path) -> Path:
    import pysam

    target = bgzipped(path)
    if not Path(f"{target}.tbi").exists():
        pysam.tabix_index(str(target), preset="vcf", force=True)
    return target


def with_threshold(threshold: str | None) -> dict[str, str]:
    """This process's environment (which `measure` passes on) with OMIX_SPLIT_MIN_BYTES set or removed."""
    env = {k: v for k, v in os.environ.items() if k != SPLIT_ENV}
    return env if threshold is None else {**env, SPLIT_ENV: threshold}


def parts(path: Path) -> int:
    from omix_ingest.run.split import plan_splits
    from validators.vcf.validator import VcfValidator

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(with_threshold("1"))
    try:
        plan = plan_splits([(path, (0,))], [VcfValidator()], str(path.parent), WORKERS)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return len(plan[0].points) if plan else 0


def run(path: Path, *extra: str, threshold: str | None = None) -> tuple[float, float, str]:
    argv = [sys.executable, "-m", "omix_ingest.cli", "validate", "--format", "json", str(path), *extra]
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(with_threshold(threshold))
    try:
        found = measure(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if found.returncode != 0:
        raise SystemExit(f"omix validate did not pass the generated file (exit {found.returncode})")
    return found.seconds, found.peak_mib, found.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2_000_000)
    args = parser.parse_args()
    path = indexed(ensure(args.records))
    dask = ("--executor", "dask", "-j", str(WORKERS))
    local_s, local_mib, local_out = run(path)
    whole_s, _, whole_out = run(path, *dask, threshold=str(1 << 62))
    split_s, _, split_out = run(path, *dask, threshold="1")
    same = comparable(local_out) == comparable(whole_out) == comparable(split_out)
    count = parts(path)
    size_mib = path.stat().st_size / 2**20
    record(
        "dask_split",
        f"{args.records} records bgzipped",
        records=args.records,
        mib=round(size_mib, 1),
        workers=WORKERS,
        parts=count,
        local_seconds=round(local_s, 2),
        dask_one_task_seconds=round(whole_s, 2),
        dask_split_seconds=round(split_s, 2),
        reports_equal=same,
    )
    print(f"{args.records:,} records, {size_mib:.0f} MiB bgzipped, {WORKERS} workers, {count} parts")
    print(f"  local                  {local_s:6.1f} s  (peak {local_mib:.0f} MiB)")
    print(f"  dask, one task         {whole_s:6.1f} s")
    print(f"  dask, split            {split_s:6.1f} s")
    print(f"  reports equal: {same}")
    if not same:
        raise SystemExit("the split report differs from the local one")


if __name__ == "__main__":
    main()
