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

from validators.core.capped import CappedFindings
from validators.core.context import ValidationContext
from validators.core.hdf5 import HDF5_READ_ERROR, scan, unsafe_paths
from validators.core.model import Location, Rule, Severity
from validators.h5ad.matrix import MatrixCheck
from validators.h5ad.rules import (
    ANNDATA_READ,
    CATEGORICAL,
    CATEGORICAL_MISSING,
    DATAFRAME,
    ENCODING,
    INDEX,
    LEGACY,
    MISSING_ELEMENT,
    MIXED_TYPES,
    NEWER_ENCODING,
    NULLABLE,
    SHAPE,
    STRINGS,
    UNS_TOO_DEEP,
)

# (encoding-type) → (kind, known versions), from the AnnData on-disk specification.
ENCODINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "anndata": ("group", ("0.1.0",)),
    "raw": ("group", ("0.1.0",)),
    "dataframe": ("group", ("0.1.0", "0.2.0")),
    "dict": ("group", ("0.1.0",)),
    "csr_matrix": ("group", ("0.1.0",)),
    "csc_matrix": ("group", ("0.1.0",)),
    "categorical": ("group", ("0.2.0",)),
    "nullable-integer": ("group", ("0.1.0",)),
    "nullable-boolean": ("group", ("0.1.0",)),
    "nullable-string-array": ("group", ("0.1.0",)),
    "awkward-array": ("group", ("0.1.0",)),
    "array": ("dataset", ("0.2.0",)),
    "string-array": ("dataset", ("0.2.0",)),
    "string": ("dataset", ("0.2.0",)),
    "numeric-scalar": ("dataset", ("0.2.0",)),
    "rec-array": ("dataset", ("0.2.0",)),
    "null": ("dataset", ("0.1.0",)),
}
SPARSE = ("csr_matrix", "csc_matrix")
T = TypeVar("T")
COUNT_LAYER_HINTS = ("count", "raw", "umi")
INDEX_CHUNK = 500_000
UNS_DEPTH = 32


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


class H5adCheck:
    def __init__(self, handle: Any, display: str, ctx: ValidationContext) -> None:
        self.file, self.display, self.ctx = handle, display, ctx
        self.out = CappedFindings()
        self.matrix = MatrixCheck(display, self.out)
        self.n_obs: int | None = None
        self.n_vars: int | None = None
        self.unsafe: set[str] = set()
        # anndata < 0.8 wrote no encoding attributes; such files are checked by their legacy layout instead.
        self.legacy = handle.attrs.get("encoding-type") is None

    def at(self, path: str) -> Location:
        return Location(pointer=path)

    def add(self, rule: Rule, path: str, **params: Any) -> None:
        self.out.add(rule.finding(self.display, self.at(path), path=path, **params))

    # ------------------------------------------------------------------------------------------------ run

    def run(self) -> None:
        link_findings = scan(self.file, self.display)
        for finding in link_findings:
            self.out.add(finding)
        self.unsafe = unsafe_paths(link_findings)
        if self.unsafe & {"obs", "var", "X"} or not self._guarded("/", self._root):
            return
        obs_columns = self._guarded("obs", self._dataframe, "obs")
        var_columns = self._guarded("var", self._dataframe, "var")
        self.n_obs = obs_columns[0] if obs_columns else None
        self.n_vars = var_columns[0] if var_columns else None
        self._guarded("X", self._matrix, "X", (self.n_obs, self.n_vars), counts=False)
        for name in self._guarded("layers", self._members, "layers") or []:
            counts = any(hint in name.lower() for hint in COUNT_LAYER_HINTS)
            self._guarded(f"layers/{name}", self._matrix, f"layers/{name}", (self.n_obs, self.n_vars), counts=counts)
        self._guarded("raw", self._raw)
        for axis, length in (("obsm", self.n_obs), ("varm", self.n_vars)):
            for name in self._guarded(axis, self._members, axis) or []:
                self._guarded(f"{axis}/{name}", self._aligned, f"{axis}/{name}", length)
        for axis, length in (("obsp", self.n_obs), ("varp", self.n_vars)):
            for name in self._guarded(axis, self._members, axis) or []:
                self._guarded(f"{axis}/{name}", self._matrix, f"{axis}/{name}", (length, length), counts=False)
        if "uns" in self.file and "uns" not in self.unsafe:
            self._guarded("uns", self._uns, self.file["uns"], "uns", 1)
        if obs_columns and not self._has_errors():
            self._semantics("obs", obs_columns[1], sample_level=True)
        if var_columns and not self._has_errors():
            self._semantics("var", var_columns[1], sample_level=False)

    def _guarded(self, path: str, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run one section; HDF5 storage errors (corrupt headers, missing filters) become OMX913, not a crash."""
        try:
            return check(*args, **kwargs)
        except (OSError, KeyError, ValueError, RuntimeError) as exc:
            self.out.add(HDF5_READ_ERROR.finding(self.display, self.at(path), name=path, detail=str(exc)))
            return None

    def _has_errors(self) -> bool:
        return any(f.severity >= Severity.ERROR for f in self.out.kept)

    def _members(self, path: str) -> list[str]:
        import h5py

        group = self.file.get(path)
        if group is None or path in self.unsafe:
            return []
        if not isinstance(group, h5py.Group):
            self.add(ENCODING, path, problem="expected a group (a dict of elements)")
            return []
        self._encoding(group, path, expected=("dict",), required=False)
        return [n for n in group if f"{path}/{n}" not in self.unsafe]

    # ------------------------------------------------------------------------------------------ encodings

    def _encoding(self, obj: Any, path: str, *, expected: tuple[str, ...] = (), required: bool = True) -> str | None:
        """The element's encoding-type after checking it against the spec; None when missing or unknown."""
        import h5py

        etype = _text(obj.attrs.get("encoding-type"))
        version = _text(obj.attrs.get("encoding-version"))
        if etype is None:
            legacy_sparse = _text(obj.attrs.get("h5sparse_format"))
            if self.legacy and legacy_sparse in ("csr", "csc"):
                return f"{legacy_sparse}_matrix"
            if required and not self.legacy:
                self.add(ENCODING, path, problem="no encoding-type attribute")
            return None
        known = ENCODINGS.get(etype)
        if known is None:
            self.add(ENCODING, path, problem=f"unknown encoding-type {etype!r}")
            return None
        kind, versions = known
        actual_kind = "group" if isinstance(obj, h5py.Group) else "dataset"
        if kind != actual_kind:
            self.add(ENCODING, path, problem=f"{etype} must be an HDF5 {kind}, found a {actual_kind}")
            return None
        if version is None:
            self.add(ENCODING, path, problem=f"{etype} without an encoding-version attribute")
        elif version not in versions:
            if _version_key(version) > _version_key(versions[-1]):
                self.add(NEWER_ENCODING, path, type=etype, version=version, known=", ".join(versions))
            else:
                self.add(ENCODING, path, problem=f"unknown {etype} version {version!r}")
        if expected and etype not in expected:
            self.add(ENCODING, path, problem=f"expected {' or '.join(expected)}, found {etype}")
        return etype

    def _root(self) -> bool:
        import h5py

        etype = _text(self.file.attrs.get("encoding-type"))
        if self.legacy:
            self.out.add(LEGACY.finding(self.display, self.at("/")))
        if etype is not None and etype != "anndata":
            self.add(ENCODING, "/", problem=f"the root is encoded as {etype!r}, not anndata")
        missing = [name for name in ("obs", "var", "X") if name not in self.file]
        if missing:
            if "matrix" in self.file:
                problem = "this is a 10x CellRanger .h5 file (it has /matrix), not AnnData: convert it to h5ad"
            else:
                found = ", ".join(sorted(self.file)) or "nothing"
                problem = f"missing {', '.join(missing)} (the root holds {found})"
            self.add(MISSING_ELEMENT, "/", problem=problem)
        for name in ("obs", "var"):
            if name in self.file and not isinstance(self.file[name], h5py.Group) and not self._legacy_table(name):
                self.add(DATAFRAME, name, problem="must be a group (a dataframe)")
                missing.append(name)
        return not any(m in ("obs", "var") for m in missing)

    # ----------------------------------------------------------------------------------------- dataframes

    def _dataframe(self, path: str) -> tuple[int, list[str]] | None:
        """(length, column names) of a dataframe element, or None when it cannot be trusted."""
        import h5py

        group = self.file[path]
        if self._legacy_table(path):
            return self._legacy_dataframe(path, group)
        self._encoding(group, path, expected=("dataframe",))
        index_name = _text(group.attrs.get("_index"))
        if index_name is None or index_name not in group:
            problem = "no _index attribute" if index_name is None else f"_index names {index_name!r}, which is missing"
            self.add(DATAFRAME, path, problem=problem)
            return None
        index = group[index_name]
        if not isinstance(index, h5py.Dataset) or index.ndim != 1:
            self.add(DATAFRAME, f"{path}/{index_name}", problem="the index must be a 1-D dataset")
            return None
        length = index.shape[0]
        self._index_values(f"{path}/{index_name}", index)
        order = group.attrs.get("column-order", [])
        columns = [_text(c) or "" for c in np.asarray(order).ravel()]
        if len(set(columns)) != len(columns):
            self.add(DATAFRAME, path, problem="column-order lists a column twice")
        for column in columns:
            if column not in group:
                self.add(DATAFRAME, path, problem=f"column-order names {column!r}, which is missing")
        for column in group:
            if column == index_name or column == "__categories":  # legacy (anndata < 0.8) categories store
                continue
            self._column(f"{path}/{column}", group[column], length)
        return length, [c for c in columns if c in group]

    def _legacy_table(self, path: str) -> bool:
        """anndata before 0.7 stored obs and var as one structured dataset (a record array) with an index field."""
        import h5py

        element = self.file.get(path)
        return self.legacy and isinstance(element, h5py.Dataset) and element.dtype.names is not None

    def _legacy_dataframe(self, path: str, table: Any) -> tuple[int, list[str]] | None:
        names = list(table.dtype.names)
        index_name = next((n for n in ("index", "_index") if n in names), None)
        if table.ndim != 1 or index_name is None:
            self.add(DATAFRAME, path, problem="a legacy (record array) table needs one dimension and an index field")
            return None
        values = np.asarray(table.fields(index_name)[()])
        if values.dtype.kind == "S":
            values = np.char.decode(values, "utf-8", errors="replace")
        self._index_values(f"{path}/{index_name}", values.astype(object))
        return table.shape[0], []  # its columns are decoded by anndata's legacy reader, not checked one by one

    def _index_values(self, path: str, dset: Any) -> None:
        import pandas as pd

        if dset.dtype.kind in "iuf":
            return
        hashes = []
        empty = 0
        strings = dset.asstr() if hasattr(dset, "asstr") and dset.dtype.kind in "OS" else dset
        for start in range(0, dset.shape[0], INDEX_CHUNK):
            chunk = np.asarray(strings[start : start + INDEX_CHUNK], dtype=object)
            empty += int(np.count_nonzero(pd.Series(chunk).str.strip().eq("")))
            hashes.append(pd.util.hash_array(chunk))
        all_hashes = np.sort(np.concatenate(hashes)) if hashes else np.array([], dtype=np.uint64)
        duplicates = int(np.count_nonzero(all_hashes[1:] == all_hashes[:-1]))
        if duplicates:
            self.add(INDEX, path, problem=f"{duplicates} names are duplicates of another")
        if empty:
            self.add(INDEX, path, problem=f"{empty} names are empty")

    def _column(self, path: str, obj: Any, length: int) -> None:
        import h5py

        etype = self._encoding(obj, path)
        if etype == "categorical":
            self._categorical(path, obj, length)
        elif etype in ("nullable-integer", "nullable-boolean", "nullable-string-array"):
            values, mask = obj.get("values"), obj.get("mask")
            if not isinstance(values, h5py.Dataset) or not isinstance(mask, h5py.Dataset):
                self.add(NULLABLE, path, problem="values or mask is missing")
            elif values.shape != mask.shape or values.shape[0] != length:
                problem = f"values {values.shape} and mask {mask.shape}, expected ({length},)"
                self.add(NULLABLE, path, problem=problem)
        elif isinstance(obj, h5py.Dataset):
            if obj.shape[:1] != (length,):
                self.add(DATAFRAME, path, problem=f"has {obj.shape[0] if obj.shape else 0} rows, the index {length}")
            if etype == "string-array":
                self._strings(path, obj)

    def _strings(self, path: str, dset: Any) -> None:
        import h5py

        info = h5py.check_string_dtype(dset.dtype)
        if info is None or info.length is not None:
            self.add(STRINGS, path, problem=f"dtype {dset.dtype} is not a variable-length string")

    def _categorical(self, path: str, group: Any, length: int) -> None:
        import h5py

        codes, categories = group.get("codes"), group.get("categories")
        if not isinstance(codes, h5py.Dataset) or not isinstance(categories, h5py.Dataset):
            self.add(CATEGORICAL, path, problem="codes or categories is missing")
            return
        if codes.dtype.kind not in "iu":
            self.add(CATEGORICAL, path, problem=f"codes have dtype {codes.dtype}, expected integers")
            return
        if codes.shape[0] != length:
            self.add(DATAFRAME, path, problem=f"has {codes.shape[0]} rows, the index {length}")
        if _text(categories.attrs.get("encoding-type")) == "string-array" or categories.dtype.kind == "S":
            self._strings(f"{path}/categories", categories)
        n_categories = categories.shape[0]
        low = high = 0
        missing = 0
        for start in range(0, codes.shape[0], INDEX_CHUNK):
            chunk = np.asarray(codes[start : start + INDEX_CHUNK])
            if chunk.size:
                low, high = min(low, int(chunk.min())), max(high, int(chunk.max()))
                missing += int(np.count_nonzero(chunk == -1))
        if low < -1 or high >= n_categories:
            problem = f"codes range over {low}..{high}, but there are {n_categories} categories"
            self.add(CATEGORICAL, path, problem=problem)
        if missing:
            self.add(CATEGORICAL_MISSING, path, count=missing)
        values = categories.asstr()[()] if categories.dtype.kind in "OS" else categories[()]
        if len(set(np.asarray(values).tolist())) != n_categories:
            self.add(CATEGORICAL, path, problem="categories are not unique")

    # ------------------------------------------------------------------------------------------- matrices

    def _matrix(self, path: str, expected: tuple[int | None, int | None], *, counts: bool) -> None:
        import h5py

        if path not in self.file or path in self.unsafe:
            return
        obj = self.file[path]
        etype = self._encoding(obj, path)
        if isinstance(obj, h5py.Dataset):
            self.matrix.dense(path, obj, expected, counts=counts)
        elif etype in SPARSE:
            self.matrix.sparse(path, obj, etype, expected, counts=counts)
        elif etype is not None:
            self.add(ENCODING, path, problem=f"expected a matrix (array, csr_matrix or csc_matrix), found {etype}")

    def _raw(self) -> None:
        import h5py

        if "raw" not in self.file:
            return
        raw = self.file["raw"]
        if not isinstance(raw, h5py.Group):
            self.add(ENCODING, "raw", problem="expected a group")
            return
        self._encoding(raw, "raw", expected=("raw",), required=False)
        raw_var = self._dataframe("raw/var") if isinstance(raw.get("var"), h5py.Group) else None
        n_raw_vars = raw_var[0] if raw_var else None
        if "X" not in raw:
            self.add(MISSING_ELEMENT, "raw", problem="raw has no X")
            return
        self._matrix("raw/X", (self.n_obs, n_raw_vars), counts=True)

    def _aligned(self, path: str, length: int | None) -> None:
        import h5py

        obj = self.file[path]
        etype = self._encoding(obj, path)
        if etype == "dataframe":
            frame = self._dataframe(path)
            rows = frame[0] if frame else None
        elif etype in SPARSE:
            rows = int(np.asarray(obj.attrs.get("shape", (0,)))[0])
        elif isinstance(obj, h5py.Dataset):
            rows = obj.shape[0] if obj.shape else None
        else:
            return
        if length is not None and rows is not None and rows != length:
            self.add(SHAPE, path, found=f"{rows} rows", expected=f"{length} rows")

    def _uns(self, group: Any, path: str, depth: int) -> None:
        import h5py

        if depth > UNS_DEPTH:
            self.add(UNS_TOO_DEEP, path, limit=UNS_DEPTH)
            return
        for name in group:
            child_path = f"{path}/{name}"
            if child_path in self.unsafe:
                continue
            child = group[name]
            etype = self._encoding(child, child_path)
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
