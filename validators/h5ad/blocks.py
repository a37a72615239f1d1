"""An h5ad's matrices in row blocks for several tasks, and the final pass that uses their tallies.

The value passes (`tally`) are the only per-row work: NaN/Inf, counts, zeros, and for sparse matrices indices out
of range, unsorted and duplicated. Each block task tallies a range of rows (columns for CSC) of one matrix; the
tallies add up exactly, because a row is in one block and each count is per value or per row. The final pass is
the whole validator run once (container, links, encodings, obs/var, indptr, raw, uns, anndata decoding), with
each matrix's value pass replaced by the sum of its blocks' tallies, so findings come out in the one-pass order
and the caps are applied as they always are. A tally is used only for the matrix it was made from: same path,
layout, number of rows and of columns; any other matrix (or one whose block failed) is read in the final pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding
from validators.h5ad.matrix import MatrixCheck, sparse_shape
from validators.h5ad.tally import Tally, dense_tally, sparse_tally
from validators.h5ad.validator import H5adValidator, validate_h5ad

SPARSE = ("csr_matrix", "csc_matrix")
TallyKey = tuple[str, str, int, int]  # path, "dense" or "sparse", rows (major axis), columns (minor axis)


@dataclass(frozen=True)
class Block:
    path: str  # the matrix inside the file
    layout: str  # "dense" or "sparse"
    major: int  # rows (CSR, dense) or columns (CSC) of the whole matrix
    minor: int
    start: int
    stop: int

    @property
    def key(self) -> TallyKey:
        return self.path, self.layout, self.major, self.minor


def _hard(handle: Any, path: str) -> Any:
    """The object at `path` when every link on the way is a hard link inside the file, else None."""
    import h5py

    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        if not isinstance(handle.get("/".join(parts[:depth]), getlink=True), h5py.HardLink):
            return None
    return handle[path]


def _text(value: Any) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value if isinstance(value, str) else None


def _layout(handle: Any, path: str) -> tuple[str, int, int, int] | None:
    """("dense" or "sparse", major, minor, stored bytes) of a matrix the blocks can read, or None."""
    import h5py

    obj = _hard(handle, path)
    if isinstance(obj, h5py.Dataset):
        if obj.ndim != 2 or obj.dtype.kind not in "biuf":
            return None
        return "dense", int(obj.shape[0]), int(obj.shape[1]), int(obj.size * obj.dtype.itemsize)
    if not isinstance(obj, h5py.Group):
        return None
    kind = _text(obj.attrs.get("encoding-type", obj.attrs.get("h5sparse_format")))
    kind = {"csr": "csr_matrix", "csc": "csc_matrix"}.get(kind or "", kind)
    members = [_hard(handle, f"{path}/{name}") for name in ("data", "indices", "indptr")]
    if kind not in SPARSE or not all(isinstance(m, h5py.Dataset) and m.ndim == 1 for m in members):
        return None
    data, indices, indptr = members
    shape = sparse_shape(obj.attrs.get("shape", obj.attrs.get("h5sparse_shape")))
    if isinstance(shape, str) or data.dtype.kind not in "biuf" or indptr.dtype.kind not in "iu":
        return None
    major, minor = shape if kind == "csr_matrix" else shape[::-1]
    if indptr.shape[0] != major + 1:
        return None
    return "sparse", major, minor, int(data.size * data.dtype.itemsize + indices.size * indices.dtype.itemsize)


def plan_blocks(path: Path, parts: int, min_bytes: int) -> list[Block]:
    """Row blocks of X, the layers and raw/X, for the matrices of at least `min_bytes` stored bytes."""
    import h5py

    blocks: list[Block] = []
    try:
        with h5py.File(path, "r", locking=False) as handle:
            layers = _hard(handle, "layers")
            names = ["X", *(f"layers/{n}" for n in (layers if isinstance(layers, h5py.Group) else ())), "raw/X"]
            for name in names:
                found = _layout(handle, name) if name.split("/")[0] in handle else None
                if found is None or found[3] < min_bytes or found[1] < 2:
                    continue
                layout, major, minor, _ = found
                count = min(parts, major)
                for number in range(count):
                    start, stop = major * number // count, major * (number + 1) // count
                    blocks.append(Block(name, layout, major, minor, start, stop))
    except (OSError, KeyError, ValueError, RuntimeError, TypeError):
        return []  # the final pass says what is wrong with the file
    return blocks


def tally_block(path: Path, block: Block) -> Tally:
    """One block's tally (every value pass counts as for a counts matrix; the report reads what it needs)."""
    import h5py
    import numpy as np

    with h5py.File(path, "r", locking=False) as handle:
        if block.layout == "dense":
            return dense_tally(handle[block.path], block.start, block.stop, counts=True)
        group = handle[block.path]
        data, indices, indptr = group["data"], group["indices"], group["indptr"]
        # The final pass reads values only behind a sound indptr; a block behind a broken one is not read at all.
        bounds = np.asarray(indptr[block.start : block.stop + 1], dtype=np.int64)
        if bounds.size and (bounds[0] < 0 or bounds[-1] > min(data.shape[0], indices.shape[0])):
            raise ValueError("indptr leads outside the stored values")
        if (np.diff(bounds) < 0).any():
            raise ValueError("indptr decreases")
        return sparse_tally(data, indices, indptr, block.minor, block.start, block.stop, counts=True)


class _Tallied(MatrixCheck):
    """The matrix checks, with the value passes of the tallied matrices already done."""

    def __init__(self, display: str, out: Any, tallies: Mapping[TallyKey, Tally]) -> None:
        super().__init__(display, out)
        self.tallies = tallies

    def dense_tally(self, path: str, dset: Any, *, counts: bool) -> Tally:
        found = self.tallies.get((path, "dense", int(dset.shape[0]), int(dset.shape[1])))
        return found if found is not None else super().dense_tally(path, dset, counts=counts)

    def sparse_tally(self, path: str, data: Any, indices: Any, indptr: Any, minor: int, *, counts: bool) -> Tally:
        found = self.tallies.get((path, "sparse", int(indptr.shape[0]) - 1, minor))
        if found is None:
            return super().sparse_tally(path, data, indices, indptr, minor, counts=counts)
        return found


class TalliedH5adValidator(H5adValidator):
    """The h5ad validator (same name, same findings) for the final pass of a file split into row blocks."""

    def __init__(self, tallies: Mapping[TallyKey, Tally]) -> None:
        self.tallies = dict(tallies)

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        tallies = self.tallies
        yield from validate_h5ad(path, ctx, lambda display, out: _Tallied(display, out, tallies))
