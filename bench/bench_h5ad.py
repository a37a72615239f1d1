"""h5ad: peak memory and wall time of `omix validate` on a large CSR file, next to `anndata.read_h5ad`.

Generates (once, cached under bench/out/) a 500,000 cells x 30,000 genes CSR matrix at 2% density (300M stored
values, ~2.4 GB), with obs/var dataframes, written with h5py in chunks. Then, each in a fresh process:
  * omix validate FILE.h5ad            (structure, streamed sparse checks, obs/var decoded by anndata)
  * anndata.read_h5ad(FILE)            (no checks: the floor, reading the file once)
  * cellxgene-schema validate FILE     (CELLxGENE's validator, in its own venv under bench/out/, installed from PyPI
                                        on first use; it reads the whole matrix into memory, so by default it is
                                        run only up to --cellxgene-max-cells)
Files of 1/25 and 1/5 of the cells are measured too, to show that our peak does not grow with the number of cells.
The generated file follows the AnnData format but not CELLxGENE's schema (no ontology columns), so cellxgene-schema
ends "is_valid=False" with schema errors, after reading and checking X: its time is what a validation costs it.

Usage: python bench/bench_h5ad.py [--cells N] [--genes N] [--density D] [--cellxgene-max-cells N]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak import measure
from peer_venv import OUT, peer_venv
from results import record

CELLXGENE = "cellxgene-schema==7.1.2"


def cellxgene_validator() -> Path | None:
    """The `cellxgene-schema` command of a venv of its own (its pins differ from ours), made once; None if it
    cannot be installed here."""
    bin_dir = peer_venv("cellxgene-venv", [CELLXGENE], adopt="cellxgene-schema")
    return None if bin_dir is None else bin_dir / "cellxgene-schema"


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


def report(path: Path, cellxgene: Path | None) -> dict[str, float | None]:
    ours = measure([sys.executable, "-m", "omix_ingest.cli", "validate", "--format", "json", str(path)])
    if ours.returncode != 0:
        raise SystemExit(f"omix validate did not pass the generated file:\n{ours.stdout[:2000]}")
    floor = measure([sys.executable, "-c", f"import anndata; anndata.read_h5ad({str(path)!r})"])
    figures: dict[str, float | None] = {
        "omix_seconds": ours.seconds,
        "omix_peak_mib": ours.peak_mib,
        "anndata_seconds": floor.seconds,
        "anndata_peak_mib": floor.peak_mib,
        "cellxgene_seconds": None,
        "cellxgene_peak_mib": None,
    }
    if cellxgene is not None:
        peer = measure([str(cellxgene), "validate", str(path)])
        figures |= {"cellxgene_seconds": peer.seconds, "cellxgene_peak_mib": peer.peak_mib}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=500_000)
    parser.add_argument("--genes", type=int, default=30_000)
    parser.add_argument("--density", type=float, default=0.02)
    parser.add_argument("--cellxgene-max-cells", type=int, default=100_000, help="largest file given to cellxgene")
    args = parser.parse_args()
    for cells in (args.cells // 25, args.cells // 5, args.cells):
        path = ensure(cells, args.genes, args.density)
        size_gib = path.stat().st_size / 2**30
        peer = cellxgene_validator() if cells <= args.cellxgene_max_cells else None
        figures = report(path, peer)
        record("h5ad", f"{cells} cells", cells=cells, gib=size_gib, **figures)
        ours_s, ours_mib = figures["omix_seconds"] or 0.0, figures["omix_peak_mib"] or 0.0
        print(f"{cells:,} cells x {args.genes:,} genes, {args.density:.0%} CSR, {size_gib:.2f} GiB:")
        print(f"  omix validate             {ours_s:7.1f} s  peak {ours_mib:7.0f} MiB")
        for label, key in (("anndata.read_h5ad", "anndata"), ("cellxgene-schema validate", "cellxgene")):
            seconds, mib = figures[f"{key}_seconds"], figures[f"{key}_peak_mib"]
            if seconds is None or mib is None:
                print(f"  {label:<25} not run (above --cellxgene-max-cells, or not installable)")
                continue
            print(
                f"  {label:<25} {seconds:7.1f} s  peak {mib:7.0f} MiB   "
                f"(omix: {ours_s / seconds:.2f}x the time, {ours_mib / mib:.2f}x the memory)"
            )


if __name__ == "__main__":
    main()
