"""Matrix checks for h5ad (X, layers, raw/X, obsp/varp), streamed in bounded chunks.

Sparse matrices are read a range of rows (CSR) or columns (CSC) at a time, sized by stored values, so peak memory
depends on the chunk size, not on the number of cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from validators.core.capped import CappedFindings
from validators.core.model import Location, Severity
from validators.h5ad.rules import (
    ALL_ZERO,
    COUNTS,
    EXPLICIT_ZEROS,
    MATRIX_DTYPE,
    NON_FINITE,
    SHAPE,
    SPARSE_DUPLICATE,
    SPARSE_RANGE,
    SPARSE_STRUCTURE,
    SPARSE_UNSORTED,
)
from validators.h5ad.tally import INDPTR_CHUNK, Tally, ValueStats, dense_tally, sparse_tally

RAW_MATRICES = ("raw/X", "raw.X")  # raw.X: anndata < 0.7 kept raw at the root


def sparse_shape(declared: Any) -> tuple[int, int] | str:
    """A sparse matrix's shape attribute as two whole non-negative numbers, or what is wrong with it."""
    if declared is None:
        return "the shape attribute is missing"
    values = np.asarray(declared)
    if values.ndim != 1 or values.size != 2:
        return f"the shape attribute must hold two numbers, found {_brief(values)}"
    if values.dtype.kind not in "iuf" or (values.dtype.kind == "f" and not np.isfinite(values).all()):
        return f"the shape attribute must hold two whole numbers, found {_brief(values)}"
    if (values < 0).any() or (values != np.floor(values)).any() or (values >= 2**63).any():
        return f"the shape attribute must hold two whole non-negative numbers, found {_brief(values)}"
    return int(values[0]), int(values[1])


def _brief(values: np.ndarray) -> str:
    shown = np.array2string(values.ravel()[:4], threshold=4)
    return shown if len(shown) <= 60 else f"{shown[:60]}..."


class MatrixCheck:
    def __init__(self, display: str, out: CappedFindings) -> None:
        self.display, self.out = display, out

    def at(self, path: str) -> Location:
        return Location(pointer=path)

    def report(self, path: str, stats: ValueStats, *, counts: bool, sparse: bool) -> None:
        if stats.nan or stats.inf:
            self.out.add(NON_FINITE.finding(self.display, self.at(path), path=path, nan=stats.nan, inf=stats.inf))
        if counts and (stats.negative or stats.fractional):
            # raw/X often holds log-normalised values (scanpy's convention of keeping the full gene set there):
            # a warning, which a rule pack that requires raw counts raises to an error (`severities: {OMX314: error}`).
            severity = Severity.WARNING if path in RAW_MATRICES else None
            self.out.add(
                COUNTS.finding(
                    self.display,
                    self.at(path),
                    path=path,
                    negative=stats.negative,
                    fractional=stats.fractional,
                    severity=severity,
                )
            )
        if stats.nonzero == 0:
            self.out.add(ALL_ZERO.finding(self.display, self.at(path), path=path))
        if sparse and stats.zeros:
            self.out.add(EXPLICIT_ZEROS.finding(self.display, self.at(path), path=path, count=stats.zeros))

    def dense(self, path: str, dset: Any, expected: tuple[int | None, int | None], *, counts: bool) -> None:
        if dset.ndim != 2 or any(e is not None and s != e for s, e in zip(dset.shape, expected, strict=False)):
            shown = tuple("?" if e is None else e for e in expected)
            self.out.add(SHAPE.finding(self.display, self.at(path), path=path, found=tuple(dset.shape), expected=shown))
            return
        if dset.dtype.kind not in "biuf":
            self.out.add(MATRIX_DTYPE.finding(self.display, self.at(path), path=path, dtype=str(dset.dtype)))
            return
        self.report(path, self.dense_tally(path, dset, counts=counts).stats, counts=counts, sparse=False)

    def sparse(
        self, path: str, group: Any, kind: str, expected: tuple[int | None, int | None], *, counts: bool
    ) -> None:
        import h5py

        parts = {}
        for name in ("data", "indices", "indptr"):
            member = group.get(name)
            if not isinstance(member, h5py.Dataset) or member.ndim != 1:
                problem = f"{name} is missing or not a 1-D dataset"
                self.out.add(
                    SPARSE_STRUCTURE.finding(self.display, self.at(f"{path}/{name}"), path=path, problem=problem)
                )
                return
            parts[name] = member
        declared = group.attrs.get("shape", group.attrs.get("h5sparse_shape"))  # the latter: anndata < 0.8
        shape = sparse_shape(declared)
        if isinstance(shape, str):
            self.out.add(SPARSE_STRUCTURE.finding(self.display, self.at(path), path=path, problem=shape))
            return
        if any(e is not None and s != e for s, e in zip(shape, expected, strict=True)):
            shown = tuple("?" if e is None else e for e in expected)
            self.out.add(SHAPE.finding(self.display, self.at(path), path=path, found=shape, expected=shown))
        data, indices, indptr = parts["data"], parts["indices"], parts["indptr"]
        if data.dtype.kind not in "biuf":
            self.out.add(
                MATRIX_DTYPE.finding(self.display, self.at(f"{path}/data"), path=f"{path}/data", dtype=str(data.dtype))
            )
            return
        major, minor = (shape[0], shape[1]) if kind == "csr_matrix" else (shape[1], shape[0])
        if not self._indptr(path, indptr, major, data.shape[0], indices.shape[0]):
            return
        self._entries(path, data, indices, indptr, minor, counts=counts)

    def _indptr(self, path: str, indptr: Any, major: int, n_data: int, n_indices: int) -> bool:
        problems = []
        if indptr.shape[0] != major + 1:
            problems.append(f"indptr has {indptr.shape[0]} entries, expected {major + 1} (rows or columns + 1)")
        if indptr.dtype.kind not in "iu":
            problems.append(f"indptr has dtype {indptr.dtype}, expected integers")
        if n_data != n_indices:
            problems.append(f"data has {n_data} values but indices has {n_indices}")
        if not problems and indptr.shape[0]:
            first, last = int(indptr[0]), int(indptr[-1])
            if first != 0:
                problems.append(f"indptr starts at {first}, not 0")
            if last != n_data:
                problems.append(f"indptr ends at {last}, but there are {n_data} stored values")
            previous = None
            decreasing = 0
            for start in range(0, indptr.shape[0], INDPTR_CHUNK):
                chunk = np.asarray(indptr[start : start + INDPTR_CHUNK], dtype=np.int64)
                if previous is not None:
                    chunk = np.concatenate(([previous], chunk))
                decreasing += int(np.count_nonzero(np.diff(chunk) < 0))
                previous = chunk[-1]
            if decreasing:
                problems.append(f"indptr decreases {decreasing} times")
        for problem in problems:
            self.out.add(SPARSE_STRUCTURE.finding(self.display, self.at(f"{path}/indptr"), path=path, problem=problem))
        return not problems

    def _entries(self, path: str, data: Any, indices: Any, indptr: Any, minor: int, *, counts: bool) -> None:
        found = self.sparse_tally(path, data, indices, indptr, minor, counts=counts)
        if found.out_of_range:
            self.out.add(
                SPARSE_RANGE.finding(
                    self.display, self.at(f"{path}/indices"), path=path, count=found.out_of_range, limit=minor
                )
            )
        if found.unsorted:
            self.out.add(
                SPARSE_UNSORTED.finding(self.display, self.at(f"{path}/indices"), path=path, count=found.unsorted)
            )
        if found.duplicates:
            self.out.add(
                SPARSE_DUPLICATE.finding(self.display, self.at(f"{path}/indices"), path=path, count=found.duplicates)
            )
        self.report(path, found.stats, counts=counts, sparse=True)

    # The value passes; a split file's final pass gets them from its row-block tasks instead (`blocks`).

    def dense_tally(self, path: str, dset: Any, *, counts: bool) -> Tally:
        return dense_tally(dset, 0, dset.shape[0], counts=counts)

    def sparse_tally(self, path: str, data: Any, indices: Any, indptr: Any, minor: int, *, counts: bool) -> Tally:
        return sparse_tally(data, indices, indptr, minor, 0, indptr.shape[0] - 1, counts=counts)
