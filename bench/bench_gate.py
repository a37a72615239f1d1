"""The gate's overhead on top of validation, for 1,000 datasets, and hashing throughput next to `sha256sum`.

Generates 1,000 bulk-transcriptomics datasets (metadata JSON + a GCT of about 200 KB each), then, each in a fresh
process and a fresh local atlas:
  * omix validate --metadata M --data D        (validation alone)
  * omix add --atlas ... --metadata M --data D  (validation + copy-and-hash into the store + one transaction + log)
The difference is the gate's overhead. Hashing: our streamed sha256 over every file, next to coreutils
`sha256sum` over the same files (page cache warm for both).

Usage: python bench/bench_gate.py [--datasets N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak import measure  # noqa: E402
from results import record  # noqa: E402

TEMPLATE = ROOT / "fixtures" / "templates" / "single_cell_rnaseq_omixatlas.files.schema.json"
BASE = json.loads((ROOT / "fixtures" / "metadata" / "positive" / "GSE200001_full.json").read_text(encoding="utf-8"))


def generate(root: Path, count: int, rows: int = 6000) -> int:
    (root / "metadata").mkdir(parents=True)
    (root / "data").mkdir()
    body = "".join(f"G{i}\tna\t{i % 7}.5\t{i % 5}.25\t{i % 3}\n" for i in range(rows))
    gct = f"#1.2\n{rows}\t3\nName\tDescription\tS1\tS2\tS3\n{body}"
    total = 0
    for i in range(count):
        dataset_id = f"GSE{700000 + i}_GPL570"
        doc = dict(BASE, dataset_id=dataset_id, kw_data_type="Transcriptomics", total_num_samples=3)
        doc.pop("total_num_cells")
        (root / "metadata" / f"{dataset_id}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
        data = f"{gct}G{rows}_{i}\tna\t1\t2\t3\n".replace(f"#1.2\n{rows}\t", f"#1.2\n{rows + 1}\t", 1)
        (root / "data" / f"{dataset_id}.gct").write_text(data, encoding="utf-8")
        total += len(data)
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omix-gate-bench-"))
    try:
        data_bytes = generate(work / "in", args.datasets)
        metadata, data = work / "in" / "metadata", work / "in" / "data"
        env = dict(os.environ, OMIX_DATA_DIR=str(work / "atlas"), OMIX_CONFIG_DIR=str(work / "config"))
        os.environ.update(env)
        command = [sys.executable, "-m", "omix_ingest.cli"]
        validate = measure(
            [
                *command,
                "validate",
                "--template",
                str(TEMPLATE),
                "--metadata",
                str(metadata),
                "--data",
                str(data),
                "--format",
                "json",
                "-q",
            ]
        )
        add = measure(
            [
                *command,
                "add",
                "--atlas",
                "example-single-cell",
                "--metadata",
                str(metadata),
                "--data",
                str(data),
                "--format",
                "json",
            ]
        )
        if validate.returncode != 0 or add.returncode != 0:
            raise SystemExit(f"unexpected failure: validate {validate.returncode}, add {add.returncode}")
        files = sorted([*metadata.iterdir(), *data.iterdir()])
        from omix_ingest.run.runner import file_sha256

        start = time.perf_counter()
        for path in files:
            file_sha256(path)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run(["sha256sum", *map(str, files)], check=True, capture_output=True)
        coreutils = time.perf_counter() - start
        mib = (data_bytes + sum(p.stat().st_size for p in metadata.iterdir())) / 2**20
        overhead = add.seconds - validate.seconds
        record(
            "gate",
            f"{args.datasets} datasets",
            validate_seconds=validate.seconds,
            add_seconds=add.seconds,
            add_peak_mib=add.peak_mib,
            hashing_omix_mib_per_s=mib / ours,
            hashing_sha256sum_mib_per_s=mib / coreutils,
        )
        print(f"{args.datasets:,} datasets, {mib:.0f} MiB in all:")
        print(f"  omix validate (alone)     {validate.seconds:6.2f} s")
        print(f"  omix add (gate, full)     {add.seconds:6.2f} s   peak {add.peak_mib:.0f} MiB")
        print(
            f"  gate overhead             {overhead:6.2f} s   = {overhead / args.datasets * 1000:.2f} ms per dataset "
            f"({overhead / validate.seconds:.0%} of validation)"
        )
        print(
            f"  hashing: omix {mib / ours:,.0f} MiB/s, sha256sum {mib / coreutils:,.0f} MiB/s "
            f"(omix at {coreutils / ours:.2f}x)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
