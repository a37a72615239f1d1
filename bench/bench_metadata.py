"""Metadata throughput, end to end: `omix validate` over 10,000 generated single-cell metadata files.

About 10% of the files are broken (a wrong type, a vocabulary case mistake, an unknown key or a "nan" value).
The figure includes process start, imports, walking the folder, reading and hashing every file, and writing the
JSON report. Peers measured in the same run, on the same files:
  * polly-validator 0.0.2 (the Polly SDK's validator), in a venv of its own, offline, in a fresh process timed
    end to end like ours (process start and imports included), through the SDK's path: every file read, grouped
    by validation scope, `check_metadata_for_errors` with the single-cell template as its schema. Its vocabularies
    are the offline ontologies ours uses, not the ones it downloads (see polly_validator_env.py for what differs).
    It is slow, so by default it validates the first --polly-files files (1,000) of the same folder, once;
  * jsonschema (pure Python, Draft 2020-12 validator compiled once), in this process (no process start):
    read + json.load + is_valid per file;
  * jsonschema-rs (Rust, compiled once), in this process: read + json.loads + is_valid per file.
When polly-validator's venv cannot be built (no PyPI), the figure measured for it before on this kind of machine
(~110 files/s) is shown instead, marked "reference, not run".

Usage: python bench/bench_metadata.py [--files N] [--repeat R] [--jobs J] [--warnings] [--polly-files N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
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

from polly_validator_env import PACKAGE, REQUIREMENTS, PeerRun, polly_schema, polly_validator  # noqa: E402
from results import record  # noqa: E402

TEMPLATE = ROOT / "fixtures" / "templates" / "single_cell_rnaseq_omixatlas.files.schema.json"
BASE = json.loads((ROOT / "fixtures" / "metadata" / "positive" / "GSE200001_full.json").read_text(encoding="utf-8"))
POLLY_VALIDATOR_REFERENCE_FILES_PER_S = 110.0  # measured before, shown only when the peer cannot run

BREAKAGES = (
    lambda d: d.update(total_num_samples=str(d["total_num_samples"])),
    lambda d: d.update(dataset_source="geo"),
    lambda d: d.update(organsim=d.pop("organism")),
    lambda d: d.update(tissue=["nan"]),
)


# What real curator folders carry besides errors: a server-managed field copied from a downloaded file, a term
# outside the vocabulary of an open field (disease: an unconfirmed term is a warning; in a closed field such as
# tissue it is an error), padded text. With --warnings nearly every file has one or more of these.
WARNINGS = (
    lambda d: d.update(kw_timestamp_="2023-01-01"),
    lambda d: d.update(disease=["Idiopathic lung fibrosis, early onset"]),
    lambda d: d.update(description=d["description"] + " "),
)


def generate(folder: Path, count: int, seed: int = 7, *, warnings: bool = False) -> int:
    rng = random.Random(seed)
    broken = 0
    tissues = ["lung", "liver", "blood", "brain", "kidney", "heart"]
    for i in range(count):
        dataset_id = f"GSE{300000 + i}_GPL{rng.randint(1, 30000)}"
        doc = json.loads(json.dumps(BASE))
        doc["dataset_id"] = dataset_id
        doc["total_num_samples"] = rng.randint(1, 500)
        doc["total_num_cells"] = rng.randint(1000, 500000)
        doc["tissue"] = rng.sample(tissues, rng.randint(1, 3))
        doc["description"] = f"Dataset {i}: single-cell profiling, donor cohort {rng.randint(1, 99)}"
        if warnings and rng.random() < 0.95:
            for change in rng.sample(WARNINGS, rng.randint(1, len(WARNINGS))):
                change(doc)
        if rng.random() < 0.10:
            rng.choice(BREAKAGES)(doc)
            broken += 1
        (folder / f"{dataset_id}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return broken


def time_cli(folder: Path, jobs: int | None) -> tuple[float, dict]:
    out = folder.parent / "report.json"
    cmd = [
        sys.executable,
        "-m",
        "omix_ingest.cli",
        "validate",
        "--template",
        str(TEMPLATE),
        "--format",
        "json",
        "-o",
        str(out),
        "-q",
        str(folder),
    ]
    if jobs:
        cmd[4:4] = ["--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"omix failed ({proc.returncode}): {proc.stderr}")
    return elapsed, json.loads(out.read_text(encoding="utf-8"))


def peer_loop(files: list[Path], is_valid) -> float:
    start = time.perf_counter()
    for path in files:
        with path.open("rb") as handle:
            is_valid(json.loads(handle.read()))
    return time.perf_counter() - start


def time_polly_validator(folder: Path, work: Path, limit: int | None) -> PeerRun | None:
    """One end-to-end run of polly-validator over the first `limit` files of `folder`; None if it cannot be
    installed here."""
    peer = polly_validator()
    if peer is None:
        return None
    schema = polly_schema(TEMPLATE, work / "polly-schema.json")
    print(f"peer: {PACKAGE} with {' '.join(REQUIREMENTS)}; vocabularies: {peer.vocabulary}")
    print(f"peer command: {shlex.join(peer.command(folder, schema, limit))}")
    return peer.run(folder, schema, limit)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--warnings", action="store_true", help="nearly every file also carries common warnings")
    parser.add_argument(
        "--polly-files", type=int, default=1000, help="files polly-validator validates (the first N; 0: all)"
    )
    args = parser.parse_args()

    import jsonschema_rs
    from jsonschema import Draft202012Validator

    from omix_ingest.run.packs import resolve_rule_pack
    from omix_ingest.run.templates import load_template_file
    from validators.metadata.conformance import CompiledTemplate

    work = Path(tempfile.mkdtemp(prefix="omix-bench-"))
    try:
        folder = work / "metadata"
        folder.mkdir()
        broken = generate(folder, args.files, warnings=args.warnings)
        files = sorted(folder.iterdir())
        time_cli(folder, args.jobs)  # warm the page cache and bytecode
        runs = [time_cli(folder, args.jobs) for _ in range(args.repeat)]
        seconds = [r[0] for r in runs]
        report = runs[-1][1]

        schema = CompiledTemplate.build(load_template_file(TEMPLATE), resolve_rule_pack("polly-default")).schema
        py_validator = Draft202012Validator(schema)
        rs_validator = jsonschema_rs.validator_for(schema)
        py_time = peer_loop(files, py_validator.is_valid)
        rs_time = min(peer_loop(files, rs_validator.is_valid) for _ in range(3))
        polly = time_polly_validator(folder, work, args.polly_files or None)

        best, median = min(seconds), statistics.median(seconds)
        rate = args.files / median
        polly_rate = polly.files / polly.seconds if polly else POLLY_VALIDATOR_REFERENCE_FILES_PER_S
        record(
            "metadata",
            "warning-heavy" if args.warnings else "clean",
            files=args.files,
            omix_files_per_s=rate,
            jsonschema_files_per_s=args.files / py_time,
            jsonschema_rs_files_per_s=args.files / rs_time,
            polly_validator_files_per_s=polly_rate,
            polly_validator_measured=polly is not None,
            polly_validator_files=polly.files if polly else None,
            polly_validator_import_seconds=polly.import_seconds if polly else None,
            polly_validator_setup=" ".join((PACKAGE, *REQUIREMENTS)) if polly else None,
        )
        print(
            f"files: {args.files} ({broken} broken by construction; report: {report['stats']['files_failed']} failing)"
        )
        print(f"cores: {os.cpu_count()}, jobs: {args.jobs or 'default (all cores)'}")
        print(
            f"omix validate (end to end, process start included): median {median:.3f} s, best {best:.3f} s "
            f"-> {rate:,.0f} files/s (best {args.files / best:,.0f})"
        )
        print(
            f"peer jsonschema (Python, compiled once, no process start): {args.files / py_time:,.0f} files/s "
            f"-> omix is {rate / (args.files / py_time):.1f}x"
        )
        print(
            f"peer jsonschema-rs (Rust, compiled once, no process start): {args.files / rs_time:,.0f} files/s "
            f"-> omix is {rate / (args.files / rs_time):.2f}x"
        )
        if polly:
            print(
                f"peer polly-validator 0.0.2 (end to end, process start included, first {polly.files:,} files): "
                f"{polly.seconds:.2f} s, of which {polly.import_seconds:.2f} s imports and vocabularies "
                f"-> {polly_rate:,.0f} files/s ({polly.files / (polly.seconds - polly.import_seconds):,.0f} after "
                f"imports) -> omix is {rate / polly_rate:.0f}x (target 100x); {polly.failing:,} failing, "
                f"{polly.errors:,} errors (every file lacks the server-managed fields its schema requires)"
            )
        else:
            print(
                f"reference polly-validator 0.0.2 (not run: its venv could not be built): "
                f"~{polly_rate:.0f} files/s -> omix is {rate / polly_rate:.0f}x (target 100x)"
            )
        if report["stats"]["files_failed"] != broken:
            raise SystemExit("the report does not flag exactly the broken files")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
