"""Ingestion through the Polly backend under random faults, at scale.

Starts the Polly emulator and moto's S3 server on 127.0.0.1, turns on seeded random faults (each request, API
and S3, meets one with probability --p: 5xx, 429 with Retry-After, a late answer past the client's read timeout,
a dropped connection, expired S3 credentials, "Repository Locked"; and one of each at the commit step: a late
answer, none, Locked, 503, 429), adds --datasets
small datasets in batches of --batch through `OmixAtlas(backend="polly")`, then runs `omix status --resolve`
with the faults off and audits the emulator's atlas and S3 bucket against what the client reported. Then, unless
--no-updates, the same again for updates: a revision of every dataset that went in (new description, one changed
data value), updated under the same faults; each must end whole in one version, the revision if it was reported
ingested (or settled as gone in), else the version before (data file and metadata both).

Prints: datasets tried, ingested, failed, unconfirmed -> resolved, lost, duplicated, half-ingested (these three
must be 0, with wrong bytes, failed-but-present, unresolved and staging leftovers), requests, faults played by
kind, wall time. Exits 1 when an invariant is broken.

Usage: python bench/bench_polly_faults.py [--datasets 1000] [--batch 50] [--seed N] [--p 0.05] [--no-updates]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import record  # noqa: E402

if TYPE_CHECKING:
    from omix_ingest.polly.emulator.soak import SoakResult

TEMPLATES = ROOT / "fixtures" / "templates"
BASE = json.loads((ROOT / "fixtures" / "metadata" / "positive" / "GSE200001_full.json").read_text(encoding="utf-8"))
GCT = (
    "#1.2\n3\t3\nName\tDescription\tS1\tS2\tS3\nTP53\ttumor protein p53\t1.5\t2.25\t-0.5\n"
    "BRCA1\tna\t0\t3e2\t4.0\nEGFR\tna\tSOAK\t8\t9\n"
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--p", type=float, default=0.05, help="probability of a fault on each request")
    parser.add_argument("--no-updates", action="store_true", help="only the add phase")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omix-polly-faults-"))
    token = "bench-" + secrets.token_hex(16)
    os.environ.update(
        POLLY_REFRESH_TOKEN=token,
        OMIX_DATA_DIR=str(work / "data"),
        OMIX_CONFIG_DIR=str(work / "config"),
        OMIX_CACHE_DIR=str(work / "cache"),
    )
    shared = ROOT / ".test-envs" / "ontologies"  # the ontology indexes the tests build, when there
    if shared.is_dir():
        os.environ.setdefault("OMIX_ONTOLOGY_DIR", str(shared))
    from omix_ingest.polly.emulator import EmulatorServer
    from omix_ingest.polly.emulator.soak import SoakPlan, run_soak, write_datasets, write_revisions

    plan = SoakPlan(datasets=args.datasets, batch=args.batch, seed=args.seed, p=args.p)
    doc = dict(BASE, kw_data_type="Transcriptomics", total_num_samples=3)
    doc.pop("total_num_cells")
    try:
        batches = write_datasets(work / "in", plan, doc, GCT)
        schemas = {
            "files": json.loads((TEMPLATES / "single_cell_rnaseq_omixatlas.files.schema.json").read_text()),
            "h5ad_metadata": json.loads(
                (TEMPLATES / "single_cell_rnaseq_omixatlas.h5ad_metadata.schema.json").read_text()
            ),
        }
        with EmulatorServer(token=token) as server:
            server.add_repo("1700000009000", "atlas_faults", schemas)
            phases = {"add": run_soak(server, "1700000009000", batches, plan)}
            if not args.no_updates:
                went_in = [d for batch in batches for d in batch if d.went_in]
                revisions = write_revisions(work / "revisions", went_in, plan)
                phases["update"] = run_soak(server, "1700000009000", revisions, plan)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    broken = False
    for mode, result in phases.items():
        broken |= report(mode, plan, result)
    return 1 if broken else 0


def report(mode: str, plan: Any, result: SoakResult) -> bool:
    """Print and record one phase; True when an invariant is broken."""
    c = result.counts
    print(f"polly faults, {mode}: {c['tried']} datasets in batches of {plan.batch}, p={plan.p}, seed {plan.seed}")
    print(f"  tried {c['tried']}: ingested {c['ingested']}, failed {c['failed']}, unconfirmed {c['unconfirmed']}")
    print(
        f"  unconfirmed -> resolved: {c['resolved_in']} ingested, {c['resolved_out']} withdrawn, {c['unresolved']} open"
    )
    print(f"  in the atlas at the end: {c['ingested_final']}")
    print(f"  lost {c['lost']}, duplicated {c['duplicated']}, half-ingested {c['half_ingested']}")
    print(
        f"  wrong bytes or version {c['wrong_bytes']}, failed but present {c['failed_but_present']}, "
        f"staging leftovers {c['leftovers']}, split {c['split']}"
    )
    print(f"  requests: {c['requests']} API, {c['s3_requests']} S3")
    print("  faults played: " + ", ".join(f"{k} {v}" for k, v in sorted(result.played.items())))
    print(f"  wall time {result.wall_seconds:.1f} s")
    for reason, count in sorted(result.failures.items(), key=lambda kv: -kv[1]):
        print(f"  {count:5d} x {reason}")
    record(
        "polly-faults",
        f"{mode} {plan.datasets}x{plan.batch}-p{plan.p}-seed{plan.seed}",
        **c,
        played=result.played,
        wall_seconds=round(result.wall_seconds, 1),
    )
    defects = result.defects()
    if defects or c["split"]:
        print(f"INVARIANTS BROKEN: {defects}")
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
