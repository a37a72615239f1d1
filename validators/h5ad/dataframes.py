"""The obs and var dataframes (and any dataframe in obsm/varm): index, column order, and each column's encoding,
length and values, read in bounded chunks; legacy (anndata < 0.7) record-array tables by their index."""

from __future__ import annotations

from typing import Any

import numpy as np

from validators.h5ad.elements import H5adFile, text
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
        index_name = text(group.attrs.get("_index"))
        if index_name is None or index_name not in group:
            problem = "no _index attribute" if index_name is None else f"_index names {index_name!r}, which is missing"
            self.add(DATAFRAME, path, problem=problem)
            return None
        index = group[index_name]
        if not isinstance(index, h5py.Dataset) or index.ndim != 1:
            self.add(DATAFRAME, f"{path}/{index_name}", problem="the index must be a 1-D dataset")
            return None
        self.h5.encoding(index, f"{path}/{index_name}", required=False)  # anndata refuses a version it does not know
        length = index.shape[0]
        self._index_values(f"{path}/{index_name}", index)
        order = group.attrs.get("column-order", [])
        columns = [text(c) or "" for c in np.asarray(order).ravel()]
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

    def legacy_table(self, path: str) -> bool:
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
        elif values.dtype.kind == "O":  # a variable-length string field comes back as bytes objects
            values = np.array([v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values])
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

        etype = self.h5.encoding(obj, path)
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
        values = categories.asstr()[()] if categories.dtype.kind in "OS" else categories[()]
        if len(set(np.asarray(values).tolist())) != n_categories:
            self.add(CATEGORICAL, path, problem="categories are not unique")
