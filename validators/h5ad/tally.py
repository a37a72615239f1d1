"""The value passes over a matrix, for a range of its rows (CSR, dense) or columns (CSC): tallies that add up, so
a matrix read in row blocks by several tasks gives the totals one pass gives (rows never span two blocks, and
unsorted indices are counted per row).

Sparse matrices are read a range of rows or columns at a time, sized by stored values, so peak memory depends on
the chunk size, not on the number of cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

# Stored values per chunk: ~4M values keep data + indices + temporaries around 100 MB.
CHUNK_VALUES = 4_000_000
INDPTR_CHUNK = 1_000_000


@dataclass
class ValueStats:
    """Running tallies over a matrix's values."""

    nan: int = 0
    inf: int = 0
    negative: int = 0
    fractional: int = 0
    zeros: int = 0
    nonzero: int = 0

    def add(self, values: np.ndarray, *, counts: bool) -> None:
        if values.size == 0:
            return
        if values.dtype.kind == "f":
            finite = np.isfinite(values)
            bad = values.size - int(np.count_nonzero(finite))
            if bad:
                nan = int(np.count_nonzero(np.isnan(values)))
                self.nan += nan
                self.inf += bad - nan
                values = values[finite]
        if counts:
            self.negative += int(np.count_nonzero(values < 0))
            if values.dtype.kind == "f":
                self.fractional += int(np.count_nonzero(values != np.floor(values)))
        nonzero = int(np.count_nonzero(values))
        self.nonzero += nonzero
        self.zeros += values.size - nonzero

    def __iadd__(self, other: ValueStats) -> ValueStats:
        for name in (f.name for f in fields(self)):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@dataclass
class Tally:
    """A value pass's totals: the value statistics, and for sparse matrices the index problems."""

    stats: ValueStats = field(default_factory=ValueStats)
    out_of_range: int = 0
    unsorted: int = 0  # rows (or columns) with indices out of order
    duplicates: int = 0

    def __iadd__(self, other: Tally) -> Tally:
        self.stats += other.stats
        self.out_of_range += other.out_of_range
        self.unsorted += other.unsorted
        self.duplicates += other.duplicates
        return self


def dense_tally(dset: Any, start: int, stop: int, *, counts: bool) -> Tally:
    """Rows start..stop of a dense matrix."""
    found = Tally()
    rows_per_chunk = max(1, CHUNK_VALUES // max(1, dset.shape[1]))
    for first in range(start, stop, rows_per_chunk):
        found.stats.add(np.asarray(dset[first : min(stop, first + rows_per_chunk)]).ravel(), counts=counts)
    return found


def sparse_tally(data: Any, indices: Any, indptr: Any, minor: int, start: int, stop: int, *, counts: bool) -> Tally:
    """Rows (CSR) or columns (CSC) start..stop of a sparse matrix whose indptr has been checked."""
    stats = ValueStats()
    out_of_range = unsorted = duplicates = 0
    start_major = start
    while start_major < stop:
        start_value = int(indptr[start_major])
        # Extend the range of rows until the chunk holds about CHUNK_VALUES stored values.
        window = np.asarray(indptr[start_major : min(stop, start_major + INDPTR_CHUNK) + 1], dtype=np.int64)
        end_offset = int(np.searchsorted(window, start_value + CHUNK_VALUES, side="right")) - 1
        end_major = start_major + max(1, end_offset)
        end_major = min(end_major, stop)
        bounds = np.asarray(indptr[start_major : end_major + 1], dtype=np.int64) - start_value
        end_value = start_value + int(bounds[-1])
        idx = np.asarray(indices[start_value:end_value])
        stats.add(np.asarray(data[start_value:end_value]), counts=counts)
        if idx.size:
            out_of_range += int(np.count_nonzero((idx < 0) | (idx >= minor)))
            step = np.diff(idx.astype(np.int64))
            # Differences across a row boundary are meaningless: mask them out.
            row_starts = bounds[1:-1]
            row_starts = row_starts[(row_starts > 0) & (row_starts < idx.size)]
            within = np.ones(step.size, dtype=bool)
            within[row_starts - 1] = False
            unsorted_steps = (step < 0) & within
            duplicates += int(np.count_nonzero((step == 0) & within))
            if unsorted_steps.any():
                rows = np.searchsorted(bounds, np.nonzero(unsorted_steps)[0], side="right")
                unsorted += int(np.unique(rows).size)
        start_major = end_major
    return Tally(stats, out_of_range, unsorted, duplicates)
