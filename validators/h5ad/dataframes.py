"""The obs and var dataframes (and any dataframe in obsm/varm): index, column order, and each column's encoding,
length and values, read in bounded chunks; legacy (anndata < 0.7) record-array tables by their index."""

from __future__ import annotations

from typing import Any

import numpy as np

from validators.core.hdf5_text import decode_rows, name_counts
from validators.h5ad.elements import H5adFile, attribute, shown, text
from validators.h5ad.rules import CATEGORICAL, CATEGORICAL_MISSING, DATAFRAME, INDEX, NULLABLE, STRINGS

INDEX_CHUNK = 500_000


class DataframeCheck:
    """Checks dataframe elements of one file; `dataframe` returns what the rest of the checks need to know."""

    def __init__(self, h5: H5adFile) -> None:
        self.h5 = h5
        self.file = h5.file
        self.legacy = h5.legacy
        self.add = h5.add

    def dataframe(self, path: str) -> tuple[int, list[str]] | None:
        """(length, column names) of a dataframe element, or None when it cannot be trusted."""
        import h5py

        group = self.file[path]
        if self.legacy_table(path):
            return self._legacy_dataframe(path, group)
        self.h5.encoding(group, path, expected=("dataframe",))
        index_name = text(attribute(group, "_index"))
        members = set(group)
        if index_name is None or index_name not in members:
            problem = (
                "no _index attribute" if index_name is None else f"_index names {shown(index_name)}, which is missing"
            )
            self.add(DATAFRAME, path, problem=problem)
            return None
        if self.h5.blocked(f"{path}/{index_name}"):
            return None  # the walk said why
        index = group[index_name]
        if not isinstance(index, h5py.Dataset) or index.ndim != 1:
            self.add(DATAFRAME, f"{path}/{index_name}", problem="the index must be a 1-D dataset")
            return None
        if h5py.check_string_dtype(index.dtype) is None and index.dtype.kind not in "iu":
            self.add(
                DATAFRAME, f"{path}/{index_name}", problem=f"the index has dtype {index.dtype}; it must hold names"
            )
            return None
        self.h5.encoding(index, f"{path}/{index_name}", required=False)  # anndata refuses a version it does not know
        length = index.shape[0]
        self._index_values(f"{path}/{index_name}", index)
        order = attribute(group, "column-order")
        columns = [text(c) or "" for c in np.asarray([] if order is None else order).ravel()]
        if len(set(columns)) != len(columns):
            self.add(DATAFRAME, path, problem="column-order lists a column twice")
        absent = [c for c in dict.fromkeys(columns) if c not in members]
        if absent:
            more = f" and {len(absent) - 1:,} more" if len(absent) > 1 else ""
            self.add(DATAFRAME, path, problem=f"column-order names {shown(absent[0])}{more}, which are missing")
        for column in sorted(members):
            if column == index_name or column == "__categories":  # legacy (anndata < 0.8) categories store
                continue
            if not self.h5.blocked(f"{path}/{column}"):
                self._column(f"{path}/{column}", group[column], length)
        return length, [c for c in columns if c in members]

    def legacy_table(self, path: str) -> bool:
        """anndata before 0.7 stored obs and var as one structured dataset (a record array) with an index field."""
        import h5py

        element = self.h5.get(path)
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
        elif values.dtype.kind == "O":  # a variable-length string field comes back as bytes objects
            values = np.array([v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values])
        self._index_values(f"{path}/{index_name}", values.astype(object))
        return table.shape[0], []  # its columns are decoded by anndata's legacy reader, not checked one by one

    def _index_values(self, path: str, dset: Any) -> None:

        if dset.dtype.kind in "iuf":
            return
        counts = name_counts(dset)
        if isinstance(counts, str):
            self.add(STRINGS, path, problem=counts)
            return
        duplicates, empty = counts
        if duplicates:
            self.add(INDEX, path, problem=f"{duplicates} names are duplicates of another")
        if empty:
            self.add(INDEX, path, problem=f"{empty} names are empty")

    def _decoded(self, path: str, dset: Any, start: int, stop: int) -> Any:
        """Rows start..stop as str objects; None, with OMX319, when one is not UTF-8."""
        values, problem = decode_rows(dset, start, stop)
        if problem is not None:
            self.add(STRINGS, path, problem=problem)
        return values

    def _column(self, path: str, obj: Any, length: int) -> None:
        import h5py

        etype = self.h5.encoding(obj, path)
        if etype == "categorical":
            self._categorical(path, obj, length)
        elif etype in ("nullable-integer", "nullable-boolean", "nullable-string-array"):
            values, mask = obj.get("values"), obj.get("mask")
            if not isinstance(values, h5py.Dataset) or not isinstance(mask, h5py.Dataset):
                self.add(NULLABLE, path, problem="values or mask is missing")
            elif values.shape != mask.shape or values.shape[:1] != (length,):
                problem = f"values {values.shape} and mask {mask.shape}, expected ({length},)"
                self.add(NULLABLE, path, problem=problem)
        elif isinstance(obj, h5py.Dataset):
            if obj.shape[:1] != (length,):
                self.add(DATAFRAME, path, problem=f"has {obj.shape[0] if obj.shape else 0} rows, the index {length}")
            if etype == "string-array" and self._strings(path, obj):
                for start in range(0, obj.shape[0] if obj.ndim == 1 else 0, INDEX_CHUNK):
                    if self._decoded(path, obj, start, start + INDEX_CHUNK) is None:
                        break

    def _strings(self, path: str, dset: Any) -> bool:
        """Whether a string-array is stored as variable-length strings (OMX319 when not)."""
        import h5py

        info = h5py.check_string_dtype(dset.dtype)
        if info is None or info.length is not None:
            self.add(STRINGS, path, problem=f"dtype {dset.dtype} is not a variable-length string")
            return False
        return True

    def _categorical(self, path: str, group: Any, length: int) -> None:
        import h5py

        codes, categories = group.get("codes"), group.get("categories")
        if not isinstance(codes, h5py.Dataset) or not isinstance(categories, h5py.Dataset):
            self.add(CATEGORICAL, path, problem="codes or categories is missing")
            return
        if codes.ndim != 1 or categories.ndim != 1:
            self.add(CATEGORICAL, path, problem=f"codes {codes.shape} and categories {categories.shape} must be 1-D")
            return
        if codes.dtype.kind not in "iu":
            self.add(CATEGORICAL, path, problem=f"codes have dtype {codes.dtype}, expected integers")
            return
        if h5py.check_string_dtype(categories.dtype) is None and categories.dtype.kind not in "biuf":
            self.add(CATEGORICAL, path, problem=f"categories have dtype {categories.dtype}, expected text or numbers")
            return
        if codes.shape[0] != length:
            self.add(DATAFRAME, path, problem=f"has {codes.shape[0]} rows, the index {length}")
        if text(categories.attrs.get("encoding-type")) == "string-array" or categories.dtype.kind == "S":
            self._strings(f"{path}/categories", categories)
        n_categories = categories.shape[0]
        low, high = 0, -1  # no codes yet: nothing out of range, even with zero categories
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
        values = self._decoded(f"{path}/categories", categories, 0, n_categories)
        if values is not None and len(set(values.tolist())) != n_categories:
            self.add(CATEGORICAL, path, problem="categories are not unique")
