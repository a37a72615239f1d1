"""Ontology checks: index build (cold), warm start, look-ups per second, and `omix validate` over 20 and 10,000
metadata files with the ontologies on, next to the same runs with them off (the polly-default pack without its
`ontology` keys: the bundled lists only).

The folders are the metadata benchmark's, warnings included (server-managed fields, free-text tissue terms,
padded text), so unknown terms reach the "did you mean" search over the whole ontology.

Usage: python bench/bench_ontology.py [--files N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_metadata import TEMPLATE, generate  # noqa: E402
from results import record  # noqa: E402


def pack_without_ontologies(folder: Path) -> Path:
    """polly-default with its fields' ontology keys removed and list paths made absolute."""
    source = ROOT / "rules" / "packs" / "polly-default.yaml"
    pack = yaml.safe_load(source.read_text(encoding="utf-8"))
    pack["name"] = "polly-default-lists-only"
    for key in ("vocabularies", "tables"):
        pack[key] = {n: str((source.parent / p).resolve()) for n, p in pack[key].items()}
    for rule in pack["fields"].values():
        if rule.pop("ontology", None):  # as the pack was before ontologies: the excerpts, unknown terms warned
            rule.pop("under", None)
            rule.setdefault("match", {})["unknown"] = "warning"
    path = folder / "lists-only.yaml"
    path.write_text(yaml.safe_dump(pack), encoding="utf-8")
    return path


def omix(folder: Path, env: dict[str, str], rules: Path | None = None) -> tuple[float, dict]:
    out = folder.parent / f"report-{folder.name}.json"
    cmd = [sys.executable, "-m", "omix_ingest.cli", "validate", "--template", str(TEMPLATE), "-q"]
    if rules is not None:
        cmd += ["--rules", str(rules)]
    cmd += ["--format", "json", "-o", str(out), str(folder)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"omix failed ({proc.returncode}): {proc.stderr}")
    return elapsed, json.loads(out.read_text(encoding="utf-8"))


def median_run(folder: Path, env: dict[str, str], repeat: int, rules: Path | None = None) -> tuple[float, dict]:
    omix(folder, env, rules)  # page cache, bytecode
    runs = [omix(folder, env, rules) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), runs[-1][1]


def lookups_per_second(cache: Path) -> dict[str, float]:
    """Distinct-value resolutions per second (memo bypassed): exact labels, and synonyms."""
    from validators.core.ontology_source import offline_catalog
    from validators.values.terms import TermResolver

    catalog = offline_catalog(cache)
    index = catalog.index("NCBITaxon")
    assert index is not None
    _, labels = index.labels()
    sample = random.Random(3).sample(labels, 20_000)
    resolver = TermResolver([], index)
    start = time.perf_counter()
    for label in sample:
        resolver._resolve(label)
    exact = len(sample) / (time.perf_counter() - start)
    synonyms = [r[0] for r in index._query("SELECT folded FROM synonyms LIMIT 5000")]
    start = time.perf_counter()
    for text in synonyms:
        resolver._resolve(text)
    return {"exact_label_per_s": exact, "synonym_per_s": len(synonyms) / (time.perf_counter() - start)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omix-bench-onto-"))
    try:
        cold_cache = work / "cold-ontologies"
        warm_cache = Path(os.environ.get("OMIX_ONTOLOGY_DIR") or (ROOT / ".test-envs" / "ontologies"))
        lists_only = pack_without_ontologies(work)
        small, large = work / "20", work / "large"
        small.mkdir()
        large.mkdir()
        generate(small, 20, warnings=True)
        generate(large, args.files, warnings=True)
        base_env = {**os.environ, "OMIX_CACHE_DIR": str(work / "cache")}

        start = time.perf_counter()
        omix(small, {**base_env, "OMIX_ONTOLOGY_DIR": str(cold_cache)})
        cold = time.perf_counter() - start
        size = sum(p.stat().st_size for p in cold_cache.glob("*.sqlite"))
        shutil.rmtree(cold_cache)

        env = {**base_env, "OMIX_ONTOLOGY_DIR": str(warm_cache)}
        omix(small, env)  # make sure the warm cache holds every index
        small_on, report_on = median_run(small, env, args.repeat * 3)
        small_off, _ = median_run(small, env, args.repeat * 3, lists_only)
        large_on, large_report = median_run(large, env, args.repeat)
        large_off, _ = median_run(large, env, args.repeat, lists_only)
        rates = lookups_per_second(warm_cache)

        record(
            "ontology",
            f"{args.files} files",
            cold_seconds=cold,
            index_mib=size / 2**20,
            warm_20_on_seconds=small_on,
            warm_20_off_seconds=small_off,
            on_files_per_s=args.files / large_on,
            off_files_per_s=args.files / large_off,
            **rates,
        )
        versions = report_on["run"]["ontologies"]
        print(f"ontologies: {versions['source']}: {versions['versions']}")
        print(f"cold: index build + first 20-file run {cold:.1f} s; indexes {size / 2**20:.0f} MiB on disk")
        print(f"warm 20-file run, end to end: ontologies on {small_on:.3f} s, off {small_off:.3f} s (target < 0.5 s)")
        on_rate, off_rate = args.files / large_on, args.files / large_off
        failing = large_report["stats"]["files_failed"]
        print(
            f"{args.files} files (warnings in ~95%, {failing} failing with ontologies on): on {on_rate:,.0f} files/s,"
            f" off {off_rate:,.0f} files/s -> {on_rate / off_rate:.0%} of ontology-off throughput (target >= 80%)"
        )
        print(
            f"look-ups (NCBITaxon, distinct values, no memo): {rates['exact_label_per_s']:,.0f} exact labels/s, "
            f"{rates['synonym_per_s']:,.0f} synonyms/s"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
