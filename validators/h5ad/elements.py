"""The h5ad file being checked, as every section of the checks sees it: where findings go, which paths are not
followed (links leaving the file), and each element's encoding checked against the AnnData on-disk specification."""

from __future__ import annotations

from typing import Any

import numpy as np

from validators.core.capped import CappedFindings
from validators.core.hdf5 import blocked
from validators.core.model import Location, Rule
from validators.h5ad.rules import ENCODING, NEWER_ENCODING

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


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def shown(value: str, limit: int = 80) -> str:
    """A value as a message quotes it: repr, cut to `limit` characters (an attribute can hold megabytes)."""
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}... ({len(value):,} characters)"


def attribute(obj: Any, key: str) -> Any:
    """An attribute's value, or None when it is missing. Text that h5py cannot decode is read again as raw bytes
    (which `text` decodes with replacement characters); storage errors propagate, to become OMX913."""
    try:
        return obj.attrs.get(key)
    except (UnicodeDecodeError, TypeError):
        raw = obj.attrs.get_id(key)
        data = np.empty(raw.shape or (), dtype=raw.dtype)
        raw.read(data)
        return data[()] if data.shape == () else data


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


class H5adFile:
    """An open h5ad file with its findings so far."""

    def __init__(self, handle: Any, display: str) -> None:
        self.file, self.display = handle, display
        self.out = CappedFindings()
        self.unsafe: set[str] = set()
        self.checked: set[str] = set()  # paths whose encoding was checked (`remaining_encodings` does the rest)
        # anndata < 0.8 wrote no encoding attribute on the root; such files are checked by their legacy layout.
        self.legacy = attribute(handle, "encoding-type") is None

    def blocked(self, path: str) -> bool:
        """Whether reading `path` would reach a link or object the walk refused (see `core.hdf5.blocked`)."""
        return blocked(path, self.unsafe)

    def get(self, path: str) -> Any:
        """The element at `path`, or None when it is missing or must not be read."""
        if self.blocked(path):
            return None
        try:
            return self.file.get(path)
        except (OSError, KeyError, ValueError, RuntimeError):
            return None

    def at(self, path: str) -> Location:
        return Location(pointer=path)

    def add(self, rule: Rule, path: str, **params: Any) -> None:
        self.out.add(rule.finding(self.display, self.at(path), path=path, **params))

    def encoding(self, obj: Any, path: str, *, expected: tuple[str, ...] = (), required: bool = True) -> str | None:
        """The element's encoding-type after checking it against the spec; None when missing or unknown."""
        import h5py

        self.checked.add(path)
        etype = text(attribute(obj, "encoding-type"))
        version = text(attribute(obj, "encoding-version"))
        if etype is None:
            legacy_sparse = text(attribute(obj, "h5sparse_format"))
            if self.legacy and legacy_sparse in ("csr", "csc"):
                return f"{legacy_sparse}_matrix"
            if required and not self.legacy:
                self.add(ENCODING, path, problem="no encoding-type attribute")
            return None
        known = ENCODINGS.get(etype)
        if known is None:
            self.add(ENCODING, path, problem=f"unknown encoding-type {shown(etype)}")
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
                self.add(NEWER_ENCODING, path, type=etype, version=version[:80], known=", ".join(versions))
            else:
                self.add(ENCODING, path, problem=f"unknown {etype} version {shown(version)}")
        if expected and etype not in expected:
            self.add(ENCODING, path, problem=f"expected {' or '.join(expected)}, found {etype}")
        return etype

    def members(self, path: str) -> list[str]:
        import h5py

        group = self.get(path)
        if group is None:
            return []
        if not isinstance(group, h5py.Group):
            if not (self.legacy and isinstance(group, h5py.Dataset) and group.dtype.names is not None):
                self.add(ENCODING, path, problem="expected a group (a dict of elements)")
            return []  # anndata < 0.7 stored obsm/varm as one record array: `legacy_mapping` checks it
        self.encoding(group, path, expected=("dict",), required=False)
        return [n for n in group if not self.blocked(f"{path}/{n}")]

    def remaining_encodings(self, encoded: list[str]) -> None:
        """Every other element that declares an encoding (`encoded`: their paths, from the file's one walk), such
        as raw/varm or nested mappings: anndata reads all of them, so an unknown type or version anywhere is a
        finding."""
        for path in encoded:
            if path not in self.checked and path not in self.unsafe:
                self.encoding(self.file[path], path, required=False)
