"""Names and text stored in HDF5 (h5ad obs/var names, GCTX ids and metadata): read in bounded chunks, decoded
strictly as UTF-8, so that a name that is not text is named by its row instead of failing a whole section."""

from __future__ import annotations

from typing import Any

NAMES_CHUNK = 500_000


def decode_rows(dset: Any, start: int, stop: int) -> tuple[Any, str | None]:
    """Rows start..stop of a 1-D string dataset (or of an array of names) as an object array of str; or None and
    which row is not UTF-8 (anndata and cmapPy cannot read such a file)."""
    import numpy as np

    if not hasattr(dset, "id") or dset.dtype.kind not in "OS":
        return np.asarray(dset[start:stop], dtype=object), None
    try:
        return np.asarray(dset.asstr()[start:stop], dtype=object).ravel(), None
    except UnicodeDecodeError:
        pass  # find the row to name it
    for row, value in enumerate(np.asarray(dset[start:stop], dtype=object).ravel()):
        try:
            value.decode("utf-8") if isinstance(value, bytes) else str(value)
        except UnicodeDecodeError as exc:
            return None, f"row {start + row} is not valid UTF-8 (byte 0x{value[exc.start]:02X})"
    return None, "a row is not valid UTF-8"


def name_counts(dset: Any) -> tuple[int, int] | str:
    """(duplicates, empty) among a 1-D dataset of names, read NAMES_CHUNK rows at a time and compared by 8-byte
    hashes (memory: 8 bytes a name); or which row is not UTF-8."""
    import numpy as np
    import pandas as pd

    hashes = []
    empty = 0
    for start in range(0, dset.shape[0], NAMES_CHUNK):
        chunk, problem = decode_rows(dset, start, start + NAMES_CHUNK)
        if problem is not None:
            return problem
        empty += int(np.count_nonzero(pd.Series(chunk, dtype=object).astype(str).str.strip().eq("")))
        hashes.append(pd.util.hash_array(chunk.astype(str).astype(object)))
    all_hashes = np.concatenate(hashes) if hashes else np.array([], dtype=np.uint64)
    all_hashes.sort()
    return int(np.count_nonzero(all_hashes[1:] == all_hashes[:-1])), empty
