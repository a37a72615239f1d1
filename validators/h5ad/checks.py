"""The h5ad checks proper (imported only when an .h5ad file is validated: they need NumPy and h5py).

Order: the container (HDF5, not truncated, no links leaving the file), the root layout, every element's encoding,
the obs/var dataframes, the matrices (streamed), raw, the aligned mappings, uns; finally each obs/var column is
decoded by anndata itself (what Polly's ingestion will do) for mixed types and the sample-level schema.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from validators.core.context import ValidationContext
from validators.core.hdf5 import HDF5_READ_ERROR, unsafe_paths, walk
from validators.core.model import Finding, Severity
from validators.h5ad.dataframes import DataframeCheck
from validators.h5ad.elements import H5adFile, attribute, shown, text
from validators.h5ad.matrix import MatrixCheck, sparse_shape
from validators.h5ad.rules import (
    ANNDATA_READ,
    DATAFRAME,
    ENCODING,
    LEGACY,
    MISSING_ELEMENT,
    MIXED_TYPES,
    SHAPE,
    UNS_TOO_DEEP,
)

SPARSE = ("csr_matrix", "csc_matrix")
T = TypeVar("T")
COUNT_LAYER_HINTS = ("count", "raw", "umi")
UNS_DEPTH = 32


class H5adCheck:
    """Every h5ad check on one open file; `out` holds the findings and `n_obs`/`n_vars`/`matrix_kind` the facts
    after `run`."""

    def __init__(self, handle: Any, display: str, ctx: ValidationContext) -> None:
        self.h5 = H5adFile(handle, display)
        self.file, self.display, self.ctx = handle, display, ctx
        self.out, self.add, self.at = self.h5.out, self.h5.add, self.h5.at
        self.frames = DataframeCheck(self.h5)
        self.matrix = MatrixCheck(display, self.out)
        self.n_obs: int | None = None
        self.n_vars: int | None = None
        self.matrix_kind: str | None = None  # X as stored: "dense float32", "csr_matrix", "csc_matrix"
        self._uns_seen: set[Any] = set()

    @property
    def unsafe(self) -> set[str]:
        return self.h5.unsafe

    # ------------------------------------------------------------------------------------------------ run

    def run(self) -> None:
        link_findings: list[Finding] = []
        # One walk of the whole file: links leaving it, and every element that declares an encoding.
        walked = self._guarded(
            "/", lambda: [p for p, obj in walk(self.file, self.display, link_findings) if _declares_encoding(obj)]
        )
        for finding in link_findings:
            self.out.add(finding)
        self.h5.unsafe = unsafe_paths(link_findings)
        if walked is None or any(self.h5.blocked(name) for name in ("obs", "var", "X")):
            return
        encoded = walked
        if not self._guarded("/", self._root):
            return
        obs_columns = self._guarded("obs", self.frames.dataframe, "obs")
        var_columns = self._guarded("var", self.frames.dataframe, "var")
        self.n_obs = obs_columns[0] if obs_columns else None
        self.n_vars = var_columns[0] if var_columns else None
        self._empty()
        self._guarded("X", self._matrix, "X", (self.n_obs, self.n_vars), counts=False)
        for name in self._guarded("layers", self.h5.members, "layers") or []:
            counts = any(hint in name.lower() for hint in COUNT_LAYER_HINTS)
            self._guarded(f"layers/{name}", self._matrix, f"layers/{name}", (self.n_obs, self.n_vars), counts=counts)
        self._guarded("raw", self._raw)
        for axis, length in (("obsm", self.n_obs), ("varm", self.n_vars)):
            for name in self._guarded(axis, self.h5.members, axis) or []:
                self._guarded(f"{axis}/{name}", self._aligned, f"{axis}/{name}", length)
            if self.frames.legacy_table(axis):  # anndata < 0.7: the whole mapping is one record array
                self._guarded(axis, self._aligned, axis, length)
        for axis, length in (("obsp", self.n_obs), ("varp", self.n_vars)):
            for name in self._guarded(axis, self.h5.members, axis) or []:
                self._guarded(f"{axis}/{name}", self._matrix, f"{axis}/{name}", (length, length), counts=False)
        if "uns" not in self.unsafe and "uns" in self.file:  # checked level by level, refused links skipped there
            self._guarded("uns", self._uns, self.file["uns"], "uns", 1)
        self._guarded("/", self.h5.remaining_encodings, encoded)
        if obs_columns and not self._has_errors():
            self._semantics("obs", obs_columns[1], sample_level=True)
        if var_columns and not self._has_errors():
            self._semantics("var", var_columns[1], sample_level=False)

    def _guarded(self, path: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run one section; HDF5 storage errors (corrupt headers, missing filters) become OMX913, not a crash."""
        try:
            return check(*args, **kwargs)
        except (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError, OverflowError) as exc:
            self.out.add(HDF5_READ_ERROR.finding(self.display, self.at(path), name=path, detail=str(exc)))
            return None

    def _empty(self) -> None:
        """A file without cells or without genes holds no expression data to ingest (AnnData allows it)."""
        empty = [f"{axis} has 0 rows" for axis, n in (("obs", self.n_obs), ("var", self.n_vars)) if n == 0]
        if empty:
            self.add(MISSING_ELEMENT, "/", problem=f"{' and '.join(empty)}: there is no expression data to ingest")

    def _has_errors(self) -> bool:
        return any(f.severity >= Severity.ERROR for f in self.out.kept)

    # ------------------------------------------------------------------------------------------ encodings

    def _root(self) -> bool:
        import h5py

        etype = text(attribute(self.file, "encoding-type"))
        if self.h5.legacy:
            self.out.add(LEGACY.finding(self.display, self.at("/")))
        if etype is not None and etype != "anndata":
            self.add(ENCODING, "/", problem=f"the root is encoded as {shown(etype)}, not anndata")
        missing = [name for name in ("obs", "var", "X") if name not in self.file]
        if missing:
            found = ", ".join(sorted(self.file)) or "nothing"
            if not self.h5.blocked("matrix") and "matrix" in self.file:
                problem = "this is a 10x CellRanger .h5 file (it has /matrix), not AnnData: convert it to h5ad"
            else:
                parts = []
                if [m for m in missing if m != "X"]:
                    parts.append(f"missing {', '.join(m for m in missing if m != 'X')}, which AnnData requires")
                if "X" in missing:
                    parts.append("no X: AnnData allows that, but Polly ingests the expression matrix from X")
                problem = f"{'; '.join(parts)} (the root holds {found})"
            self.add(MISSING_ELEMENT, "/", problem=problem)
        for name in ("obs", "var"):
            if name in self.file and not isinstance(self.file[name], h5py.Group) and not self.frames.legacy_table(name):
                self.add(DATAFRAME, name, problem="must be a group (a dataframe)")
                missing.append(name)
        return not any(m in ("obs", "var") for m in missing)

    # ----------------------------------------------------------------------------------------- dataframes

    # ------------------------------------------------------------------------------------------- matrices

    def _matrix(self, path: str, expected: tuple[int | None, int | None], *, counts: bool) -> None:
        import h5py

        obj = self.h5.get(path)
        if obj is None:
            return
        etype = self.h5.encoding(obj, path)
        if path == "X":
            self.matrix_kind = f"dense {obj.dtype}" if isinstance(obj, h5py.Dataset) else etype
        if isinstance(obj, h5py.Dataset):
            self.matrix.dense(path, obj, expected, counts=counts)
        elif etype in SPARSE:
            self.matrix.sparse(path, obj, etype, expected, counts=counts)
        elif etype is not None:
            self.add(ENCODING, path, problem=f"expected a matrix (array, csr_matrix or csc_matrix), found {etype}")

    def _raw(self) -> None:
        import h5py

        if self.h5.blocked("raw") or self.h5.blocked("raw.X"):
            return
        if "raw" not in self.file:
            if self.h5.legacy and "raw.X" in self.file:  # anndata < 0.7: raw.X, raw.var at the root
                raw_var = self.frames.dataframe("raw.var") if "raw.var" in self.file else None
                self._matrix("raw.X", (self.n_obs, raw_var[0] if raw_var else None), counts=True)
            return
        raw = self.file["raw"]
        if not isinstance(raw, h5py.Group):
            self.add(ENCODING, "raw", problem="expected a group")
            return
        self.h5.encoding(raw, "raw", expected=("raw",), required=False)
        raw_var = self.frames.dataframe("raw/var") if isinstance(self.h5.get("raw/var"), h5py.Group) else None
        n_raw_vars = raw_var[0] if raw_var else None
        if "X" not in raw:
            self.add(MISSING_ELEMENT, "raw", problem="raw has no X")
            return
        self._matrix("raw/X", (self.n_obs, n_raw_vars), counts=True)

    def _aligned(self, path: str, length: int | None) -> None:
        import h5py

        obj = self.file[path]
        etype = self.h5.encoding(obj, path)
        if etype == "dataframe":
            frame = self.frames.dataframe(path)
            rows = frame[0] if frame else None
        elif etype in SPARSE:
            shape = sparse_shape(obj.attrs.get("shape"))
            rows = shape[0] if isinstance(shape, tuple) else None
        elif isinstance(obj, h5py.Dataset):
            rows = obj.shape[0] if obj.shape else None
        else:
            return
        if length is not None and rows is not None and rows != length:
            self.add(SHAPE, path, found=f"{rows} rows", expected=f"{length} rows")

    def _uns(self, group: Any, path: str, depth: int) -> None:
        import h5py

        if depth == 1:
            self.h5.encoding(group, path, expected=("dict",), required=False)
        if depth > UNS_DEPTH:
            self.add(UNS_TOO_DEEP, path, limit=UNS_DEPTH)
            return
        for name in group:
            child_path = f"{path}/{name}"
            if child_path in self.unsafe:  # checked level by level: a refused link deeper down is skipped there
                continue
            child = group[name]
            if isinstance(child, h5py.Group):
                if child.id in self._uns_seen:
                    continue  # a subtree shared by two paths is checked once
                self._uns_seen.add(child.id)
            etype = self.h5.encoding(child, child_path)
            if isinstance(child, h5py.Group) and etype in ("dict", None):
                self._uns(child, child_path, depth + 1)

    # ------------------------------------------------------------------------------------------ semantics

    def _semantics(self, frame: str, columns: list[str], *, sample_level: bool) -> None:
        """Decode each column with anndata (one at a time) for mixed types and the sample-level schema."""
        import pandas as pd

        try:
            from anndata.io import read_elem
        except ImportError:  # anndata < 0.11
            from anndata.experimental import read_elem

        distinct: dict[str, list[Any]] = {}
        for column in columns:
            path = f"{frame}/{column}"
            try:
                with warnings.catch_warnings():  # anndata's own notices (old formats) are findings here, not noise
                    warnings.simplefilter("ignore")
                    values = read_elem(self.file[path])
            except Exception as exc:  # anndata raises many types; each means "cannot decode"
                self.add(ANNDATA_READ, path, detail=f"{type(exc).__name__}: {exc}")
                continue
            series = pd.Series(values)
            uniques = list(
                series.cat.categories if isinstance(series.dtype, pd.CategoricalDtype) else series.dropna().unique()
            )
            numeric, text = _kinds(uniques)
            if numeric and text:
                self.add(MIXED_TYPES, path, numeric=numeric, text=text)
            distinct[column] = uniques
        checker = self.ctx.sample_checker("h5ad")
        if sample_level and checker is not None:
            for finding in checker.check_columns(distinct, self.display, "obs", prefix=f"{frame}/"):
                self.out.add(finding)


def _kinds(values: list[Any]) -> tuple[int, int]:
    """How many distinct values are numbers (or numeric-looking text) and how many are other text."""
    numeric = text = 0
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float | np.integer | np.floating):
            numeric += 1
        elif isinstance(value, str) and value.strip():
            try:
                float(value)
            except ValueError:
                text += 1
            else:
                numeric += 1
    return numeric, text


def _declares_encoding(obj: Any) -> bool:
    """Whether an element has an encoding-type attribute; attributes that cannot be read are left to the section
    that reads the element (its storage error becomes OMX913 there)."""
    try:
        return "encoding-type" in obj.attrs
    except (OSError, KeyError, RuntimeError):
        return False
