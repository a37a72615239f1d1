"""Data cells read as doubles by pandas' C reader: the screen's way for rows with many cells it cannot judge by
their characters alone (numbers with exponents, missing-value markers throughout).

Among the characters the screen lets through, what the C reader takes as a double Python's float() takes too, as
the same number, and a cell it refuses makes it refuse the rows, which then go to the exact checks.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np

from validators.gct.header import MISSING_MARKERS

# -666 is read by value below (the C reader would also turn -666.0 into a missing value).
_NA_VALUES = sorted(MISSING_MARKERS - {"-666"})
# An exponent of three digits or more may overflow to infinity or underflow to 0: the exact checks decide.
_LONG_EXPONENT = re.compile(rb"[eE][+-]?[0-9]{3}")
# Halving a batch the C reader refuses, to find the rows it refuses, stops at this fraction of the batch: rows
# still refused at that size go to the exact checks, so a file of bad rows costs at most about twice as long.
_SPLITS = 16

Array = np.ndarray[Any, Any]


def read_rows(rows: list[bytes], counts: list[int | None], picked: list[int]) -> set[str]:
    """Set `counts[i]` for each `picked` row i (its data cells, tab-separated, ending in a line end) to its count of
    missing values when no cell holds what the exact checks would report, else to None; returns the markers of
    the rows counted."""
    markers: set[str] = set()
    for index in picked:
        counts[index] = None
    keep = [i for i in picked if not _LONG_EXPONENT.search(rows[i])]
    _read(rows, keep, counts, markers, len(keep) // _SPLITS)
    return markers


def _read(rows: list[bytes], picked: list[int], counts: list[int | None], markers: set[str], smallest: int) -> None:
    if not picked:
        return
    values = _doubles(b"".join(rows[i] for i in picked), rows[picked[0]].count(b"\t") + 1)
    if values is None or values.shape[0] != len(picked):
        if len(picked) > max(smallest, 1):
            half = len(picked) // 2
            for part in (picked[:half], picked[half:]):
                _read(rows, part, counts, markers, smallest)
        return
    sure = ~(np.isinf(values) | (values == -666.0)).any(axis=1)
    missing = np.isnan(values)
    for index, row in enumerate(picked):
        if sure[index]:
            counts[row] = int(missing[index].sum())
    for index in np.flatnonzero(sure & missing.any(axis=1)).tolist():
        cells = rows[picked[index]].rstrip(b"\n").split(b"\t")
        markers.update(cells[column].decode("ascii") for column in np.flatnonzero(missing[index]).tolist())


def _doubles(block: bytes, width: int) -> Array | None:
    """The cells of the rows in `block` as doubles (cmapPy's markers as NaN), or None when the C reader refuses
    a cell. Quoting, comments, escapes and blank-line skipping are off: a cell is its text."""
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.BytesIO(block.replace(b"\t", b"\n")),  # one column: the C reader's cost is per column and batch
            sep="\t",
            header=None,
            names=[0],
            dtype=np.float64,
            na_values=_NA_VALUES,
            keep_default_na=False,
            quoting=csv.QUOTE_NONE,
            doublequote=False,
            lineterminator="\n",
            skip_blank_lines=False,
            low_memory=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    values: Array = frame.to_numpy(dtype=np.float64)
    return values.reshape(-1, width) if values.size % width == 0 else None
