"""GCTX, the HDF5 form of GCT (OMX420-OMX425): the layout cmapPy reads, checked without loading the matrix.

cmapPy stores the matrix transposed (`/0/DATA/0/matrix` is samples x features), ids in `/0/META/ROW/id` and
`/0/META/COL/id`, metadata as one dataset per field beside them, and a `version` attribute on the root.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from validators.core.context import Fact, ValidationContext
from validators.core.hdf5 import HDF5_READ_ERROR, open_hdf5, scan
from validators.core.hdf5 import RULES as HDF5_RULES
from validators.core.hdf5_text import decode_rows, name_counts
from validators.core.model import Finding, Location, Rule, Severity
from validators.core.unreadable import NOT_UTF8

MATRIX, ROW, COL = "0/DATA/0/matrix", "0/META/ROW", "0/META/COL"
KNOWN_VERSIONS = ("GCTX1.0",)
CHUNK_VALUES = 4_000_000

LAYOUT = Rule(
    "OMX420",
    "gctx-layout",
    Severity.ERROR,
    "GCTX layout incomplete",
    "{path} is missing or is not {what}",
    "cmapPy reads the matrix from /0/DATA/0/matrix and the ids from /0/META/ROW/id and /0/META/COL/id; without "
    "them the file is not GCTX.",
    bad="/matrix",
    good="/0/DATA/0/matrix, /0/META/ROW/id, /0/META/COL/id",
)
VERSION = Rule(
    "OMX421",
    "gctx-version",
    Severity.ERROR,
    "GCTX version attribute missing or unknown",
    "the root version attribute is {found!r}, expected GCTX1.0",
    "The version attribute tells readers which layout to expect; cmapPy refuses a file without it.",
    bad="(no version attribute)",
    good='version = "GCTX1.0"',
)
SHAPE = Rule(
    "OMX422",
    "gctx-shape",
    Severity.ERROR,
    "GCTX matrix shape disagrees with the ids",
    "the matrix is {shape} (samples x features), but there are {cols} column ids and {rows} row ids",
    "The matrix is stored transposed: one row per sample (COL id), one column per feature (ROW id).",
    bad="matrix (3, 20) with 4 COL ids",
    good="matrix (4, 20) with 4 COL ids and 20 ROW ids",
)
IDS = Rule(
    "OMX423",
    "gctx-ids",
    Severity.ERROR,
    "GCTX ids duplicated or empty",
    "{path}: {problem}",
    "Row and column ids identify features and samples; duplicates and empty ids make lookups ambiguous.",
    bad="COL ids S1, S1",
    good="COL ids S1, S2",
)
METADATA_LENGTH = Rule(
    "OMX424",
    "gctx-metadata-length",
    Severity.ERROR,
    "GCTX metadata field of the wrong length",
    "{path} has {found} values, expected {expected} (one per id)",
    "Each metadata field holds one value per row (or column) id.",
    bad="/0/META/COL/disease with 3 values for 4 samples",
    good="4 values for 4 samples",
)
NON_FINITE = Rule(
    "OMX425",
    "gctx-matrix-values",
    Severity.ERROR,
    "GCTX matrix not numeric or not finite",
    "{path}: {problem}",
    "The data matrix holds finite numbers (NaN for missing values is fine); infinity breaks analyses.",
    bad="inf in the matrix",
    good="finite values, NaN where missing",
)

RULES: tuple[Rule, ...] = (LAYOUT, VERSION, SHAPE, IDS, METADATA_LENGTH, NON_FINITE)


def _version(value: Any) -> str | None:
    """The root version attribute as text (a one-element array, as some writers store it, is read as cmapPy does)."""
    if getattr(value, "shape", None) == (1,):
        value = value[0]
    if value is None:
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= 80 else f"{text[:80]}... ({len(text):,} characters)"


class GctxValidator:
    name = "gctx"
    kind = "data"
    rules: tuple[Rule, ...] = (*RULES, *HDF5_RULES, NOT_UTF8)

    def claims(self, path: Path) -> bool:
        return path.name.lower().endswith(".gctx")

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        display = str(path)
        yield Fact("format", "gctx")
        handle, findings = open_hdf5(path, display)
        yield from findings
        if handle is None:
            return
        with handle:
            try:
                yield from self._check(handle, display, ctx)
            except (OSError, KeyError, ValueError, RuntimeError, TypeError) as exc:  # corrupt storage, missing filter
                yield HDF5_READ_ERROR.finding(display, Location(pointer="/"), name="/", detail=str(exc))

    def _check(self, handle: Any, display: str, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        import h5py

        links = scan(handle, display)
        yield from links
        if links:
            return
        try:
            version = _version(handle.attrs.get("version"))
        except (UnicodeDecodeError, TypeError):
            version = "(text that is not UTF-8)"
        if version not in KNOWN_VERSIONS:
            yield VERSION.finding(display, Location(pointer="/"), found=version)
        parts = {}
        for path, what in ((MATRIX, "a 2-D dataset"), (f"{ROW}/id", "a 1-D dataset"), (f"{COL}/id", "a 1-D dataset")):
            obj = handle.get(path)
            ndim = 2 if path == MATRIX else 1
            if not isinstance(obj, h5py.Dataset) or obj.ndim != ndim:
                yield LAYOUT.finding(display, Location(pointer=path), path=path, what=what)
            else:
                parts[path] = obj
        if len(parts) < 3:
            return
        matrix, n_rows, n_cols = parts[MATRIX], parts[f"{ROW}/id"].shape[0], parts[f"{COL}/id"].shape[0]
        yield Fact("n_samples", n_cols)
        yield Fact("n_rows", n_rows)
        if matrix.shape != (n_cols, n_rows):
            yield SHAPE.finding(display, Location(pointer=MATRIX), shape=tuple(matrix.shape), cols=n_cols, rows=n_rows)
        for path in (f"{ROW}/id", f"{COL}/id"):
            yield from self._ids(parts[path], path, display)
        columns: dict[str, list[Any]] = {}
        for group_path, expected in ((ROW, n_rows), (COL, n_cols)):
            for name, dset in handle[group_path].items():
                if name == "id" or not isinstance(dset, h5py.Dataset):
                    continue
                where = Location(pointer=f"{group_path}/{name}")
                if dset.shape[:1] != (expected,):
                    found = dset.shape[0] if dset.shape else 0
                    yield METADATA_LENGTH.finding(
                        display, where, path=f"{group_path}/{name}", found=found, expected=expected
                    )
                    continue
                values, problem = decode_rows(dset, 0, expected)
                if problem is not None:
                    yield NOT_UTF8.finding(display, where, detail=f"{group_path}/{name}: {problem}")
                elif group_path == COL:
                    columns[name] = list(values)
        yield from self._values(matrix, display)
        if columns and (checker := ctx.sample_checker("gctx")) is not None:
            yield from checker.check_columns(columns, display, "column metadata", prefix=f"{COL}/")

    def _ids(self, dset: Any, path: str, display: str) -> Iterator[Finding]:
        """Ids are text (or numbers), unique and not empty; read in bounded chunks."""
        import h5py

        where = Location(pointer=path)
        if h5py.check_string_dtype(dset.dtype) is None and dset.dtype.kind not in "iu":
            yield IDS.finding(display, where, path=path, problem=f"ids have dtype {dset.dtype}, expected text")
            return
        counts = name_counts(dset)
        if isinstance(counts, str):
            yield NOT_UTF8.finding(display, where, detail=f"{path}: {counts}")
            return
        duplicates, empty = counts
        if duplicates:
            yield IDS.finding(display, where, path=path, problem=f"{duplicates} duplicate ids")
        if empty:
            yield IDS.finding(display, where, path=path, problem=f"{empty} empty ids")

    def _values(self, matrix: Any, display: str) -> Iterator[Finding]:
        import numpy as np

        where = Location(pointer=MATRIX)
        if matrix.dtype.kind not in "iuf":
            yield NON_FINITE.finding(display, where, path=MATRIX, problem=f"dtype {matrix.dtype} is not numeric")
            return
        if matrix.dtype.kind != "f":
            return
        infinite = 0
        rows = max(1, CHUNK_VALUES // max(1, matrix.shape[1]))
        for start in range(0, matrix.shape[0], rows):
            infinite += int(np.count_nonzero(np.isinf(matrix[start : start + rows])))
        if infinite:
            yield NON_FINITE.finding(display, where, path=MATRIX, problem=f"{infinite} infinite values")
