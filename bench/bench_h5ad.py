"""h5ad: peak memory and wall time of `omix validate` on a large CSR file, next to `anndata.read_h5ad`.

Generates (once, cached under bench/out/) a 500,000 cells x 30,000 genes CSR matrix at 2% density (300M stored
values, ~2.4 GB), with obs/var dataframes, written with h5py in chunks. Then, each in a fresh process:
  * omix validate FILE.h5ad            (structure, streamed sparse checks, obs/var decoded by anndata)
  * anndata.read_h5ad(FILE)            (no checks; the peer the issue names)
A smaller file (1/5 of the cells) is measured too, to show that our peak does not grow with the number of cells.

Usage: python bench/bench_h5ad.py [--cells N] [--genes N] [--density D]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak import measure
from results import record

OUT = Path(__file__).resolve().parent / "out"


def generate(path: Path, cells: int, genes: int, density: float, seed: int = 3) -> None:
    """CSR with exactly `per_row` sorted, unique column indices in every row, integer counts as float32."""
    import h5py

    per_row = max(1, int(genes * density))
    rng = np.random.default_rng(seed)
    nnz = cells * per_row
    tmp = path.with_suffix(".partial")
    with h5py.File(tmp, "w") as handle:
        handle.attrs.update({"encoding-type": "anndata", "encoding-version": "0.1.0"})
        x = handle.create_group("X")
        x.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0", "shape": np.array([cells, genes])})
        chunk = (min(1 << 20, nnz),)
        data = x.create_dataset("data", shape=(nnz,), dtype=np.float32, chunks=chunk)
        indices = x.create_dataset("indices", shape=(nnz,), dtype=np.int32, chunks=chunk)
        x.create_dataset("indptr", data=np.arange(cells + 1, dtype=np.int64) * per_row)
        step = 20_000
        for start in range(0, cells, step):
            rows = min(step, cells - start)
            gaps = rng.random((rows, per_row)) + 0.01
            spread = np.cumsum(gaps, axis=1)
            columns = (spread / spread[:, -1:] * (genes - per_row - 1)).astype(np.int64) + np.arange(per_row)
            lo, hi = start * per_row, (start + rows) * per_row
            indices[lo:hi] = columns.ravel().astype(np.int32)
            data[lo:hi] = rng.integers(1, 30, rows * per_row).astype(np.float32)
        strings = h5py.string_dtype()
        for name, n, prefix in (("obs", cells, "CELL"), ("var", genes, "GENE")):
            group = handle.create_group(name)
            group.attrs.update(
                {
                    "encoding-type": "dataframe",
                    "encoding-version": "0.2.0",
                    "_index": "_index",
                    "column-order": np.array([], dtype=h5py.string_dtype()),
                }
            )
            index = group.create_dataset(
                "_index", data=np.array([f"{prefix}{i}" for i in range(n)], dtype=object), dtype=strings
            )
            index.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
        for name in ("layers", "obsm", "varm", "obsp", "varp", "uns"):
            handle.create_group(name).attrs.update({"encoding-type": "dict", "encoding-version": "0.1.0"})
    tmp.replace(path)


def ensure(cells: int, genes: int, density: float) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench_{cells}x{genes}_{density}.h5ad"
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        generate(path, cells, genes, density)
    return path


def report(path: Path) -> tuple[float, float, float, float]:
    ours = measure([sys.executable, "-m", "omix_ingest.cli", "validate", "--format", "json", str(path)])
    if ours.returncode != 0:
        raise SystemExit(f"omix validate did not pass the generated file:\n{ours.stdout[:2000]}")
    peer = measure([sys.executable, "-c", f"import anndata; anndata.read_h5ad({str(path)!r})"])
    return ours.seconds, ours.peak_mib, peer.seconds, peer.peak_mib


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=500_000)
    parser.add_argument("--genes", type=int, default=30_000)
    parser.add_argument("--density", type=float, default=0.02)
    args = parser.parse_args()
    for cells in (args.cells // 5, args.cells):
        path = ensure(cells, args.genes, args.density)
        size_gib = path.stat().st_size / 2**30
        ours_s, ours_mib, peer_s, peer_mib = report(path)
        record(
            "h5ad",
            f"{cells} cells",
            cells=cells,
            gib=size_gib,
            omix_seconds=ours_s,
            omix_peak_mib=ours_mib,
            anndata_seconds=peer_s,
            anndata_peak_mib=peer_mib,
        )
        print(f"{cells:,} cells x {args.genes:,} genes, {args.density:.0%} CSR, {size_gib:.2f} GiB:")
        print(f"  omix validate       {ours_s:7.1f} s  peak {ours_mib:7.0f} MiB")
        print(
            f"  anndata.read_h5ad   {peer_s:7.1f} s  peak {peer_mib:7.0f} MiB   "
            f"(omix: {ours_s / peer_s:.2f}x the time, {ours_mib / peer_mib:.2f}x the memory)"
        )


if __name__ == "__main__":
    main()
