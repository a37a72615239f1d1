"""Memory of a big parallel validation run: does the whole process tree stay within a bound as files are added?

Generates (deterministically, into bench/out/parallel-memory/, reused on later runs) 10,000 single-cell metadata
files (bench_metadata's generator: the first N files are the same whatever N) and 100 data files of a few MB each
paired with the first 100 of them: h5ad (bench_h5ad's generator), GCT (bench_gct's) and VCF (bench_vcf's). Then
`omix validate --metadata M --data D -j 2 --format json -o report.json` over 2,500, 5,000 and 10,000 metadata
files with the same 100 data files, sampling every 20 ms the resident memory of the whole process tree (the
parent and every worker, summed: psutil when installed, /proc otherwise) and the wall time.

Usage: python bench/bench_parallel_memory.py [--counts 2500,5000,10000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_gct  # noqa: E402
import bench_h5ad  # noqa: E402
import bench_metadata  # noqa: E402
import bench_vcf  # noqa: E402
from results import record  # noqa: E402

OUT = ROOT / "bench" / "out" / "parallel-memory"
KINDS = ("h5ad", "gct", "vcf")
DATA_FILES = 100
H5AD_CELLS, H5AD_GENES, H5AD_DENSITY = 12_000, 2_000, 0.03  # about 5 MB
GCT_ROWS, GCT_COLS = 4_000, 60  # about 2.5 MB
VCF_RECORDS = 40_000  # about 3 MB


def metadata_folder(count: int) -> Path:
    folder = OUT / f"metadata-{count}"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        bench_metadata.generate(folder, count)
        (folder / ".complete").write_text("", encoding="utf-8")
    return folder


def data_folder() -> Path:
    """100 data files named after the first 100 metadata files' dataset ids, a third of each kind."""
    folder = OUT / "data"
    if (folder / ".complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    ids = sorted(p.stem for p in metadata_folder(DATA_FILES).glob("*.json"))
    for i, dataset_id in enumerate(ids):
        kind = KINDS[i % len(KINDS)]
        path = folder / f"{dataset_id}.{kind}"
        if kind == "h5ad":
            bench_h5ad.generate(path, H5AD_CELLS, H5AD_GENES, H5AD_DENSITY, seed=i)
        elif kind == "gct":
            bench_gct.write_gct(path, GCT_ROWS, GCT_COLS, nan_per_row=i % 2 == 0)
        else:
            bench_vcf.generate(path, VCF_RECORDS, seed=i)
    (folder / ".complete").write_text("", encoding="utf-8")
    return folder


def _tree_rss_psutil(pid: int) -> list[int]:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    sizes = []
    for proc in procs:
        try:
            sizes.append(proc.memory_info().rss)
        except psutil.NoSuchProcess:
            continue
    return sizes


def _tree_rss_proc(pid: int) -> list[int]:
    sizes: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text(encoding="utf-8")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text(encoding="utf-8").split()]
        except OSError:
            continue
        sizes.append(next((int(x.split()[1]) * 1024 for x in status.splitlines() if x.startswith("VmRSS:")), 0))
    return sizes


def tree_rss(pid: int) -> list[int]:
    """Bytes resident of `pid` (first) and of each of its descendants."""
    try:
        return _tree_rss_psutil(pid)
    except ImportError:
        return _tree_rss_proc(pid)


def measure_tree(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = most = parent = worker = 0
    while process.poll() is None:
        sizes = tree_rss(process.pid)
        if sizes:
            peak, most = max(peak, sum(sizes)), max(most, len(sizes))
            parent, worker = max(parent, sizes[0]), max(worker, *sizes[1:], 0)
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"omix validate exited {process.returncode}: {stderr[-800:]}")
    return {
        "seconds": seconds,
        "peak_tree_mib": peak / 2**20,
        "peak_parent_mib": parent / 2**20,
        "peak_worker_mib": worker / 2**20,
        "processes": most,
        "exit": process.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="2500,5000,10000")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    data = data_folder()
    data_mib = sum(p.stat().st_size for p in data.iterdir()) / 2**20
    env = dict(os.environ, OMIX_CONFIG_DIR=str(OUT / "config"), OMIX_CACHE_DIR=str(OUT / "cache"), NO_COLOR="1")
    env.setdefault("OMIX_ONTOLOGY_DIR", str(ROOT / ".test-envs" / "ontologies"))
    rows = []
    for count in counts:
        metadata = metadata_folder(count)
        report = OUT / f"report-{count}.json"
        argv = [sys.executable, "-m", "omix_ingest.cli", "validate", "--template", str(bench_metadata.TEMPLATE)]
        argv += ["--metadata", str(metadata), "--data", str(data), "-j", str(args.jobs), "--format", "json"]
        figures = measure_tree([*argv, "-o", str(report), "-q"], env)
        body = json.loads(report.read_text(encoding="utf-8"))
        figures.update(files=len(body["files"]), report_mib=report.stat().st_size / 2**20)
        rows.append((count, figures))
        record("parallel-memory", f"{count} metadata + {DATA_FILES} data files", jobs=args.jobs, **figures)
        print(
            f"{count:>6,} metadata + {DATA_FILES} data files ({data_mib:.0f} MiB): {figures['seconds']:6.1f} s, "
            f"peak {figures['peak_tree_mib']:6.0f} MiB over {figures['processes']} processes (parent "
            f"{figures['peak_parent_mib']:.0f}, largest worker {figures['peak_worker_mib']:.0f}), "
            f"report {figures['report_mib']:.1f} MiB, exit {figures['exit']}"
        )
    (low, first), (high, last) = rows[0], rows[-1]
    growth = (last["peak_tree_mib"] - first["peak_tree_mib"]) / (high - low) * 1000 if high > low else 0.0
    print(f"growth: {growth:+.2f} MiB per 1,000 metadata files ({low:,} -> {high:,})")
    record("parallel-memory", "growth", mib_per_1000_files=growth, jobs=args.jobs)


if __name__ == "__main__":
    main()
