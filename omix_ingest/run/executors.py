"""Where the per-file tasks run: in this process or a local process pool ("local"), or on a Dask distributed
cluster ("dask", see `dask_executor`). The choice changes where files are read, never what is checked, so it is not
part of the report's `run` block."""

from __future__ import annotations

import importlib.util

from omix_ingest.errors import UsageError

EXECUTORS = ("local", "dask")
MISSING_DASK = "--executor dask needs Dask distributed: pip install 'omix-ingest[dask]'"


def resolve_executor(executor: str | None, scheduler: str | None) -> tuple[str, str | None]:
    """(executor, scheduler address) from what the caller said: a scheduler alone means Dask; Dask without a
    scheduler means a LocalCluster on this machine. Dask not installed is a usage error, raised before any file
    is read."""
    chosen = executor or ("dask" if scheduler else "local")
    if chosen not in EXECUTORS:
        raise UsageError(f"executor must be local or dask, not {chosen!r}")
    if chosen == "local" and scheduler:
        raise UsageError("--scheduler is for --executor dask")
    if chosen == "dask" and importlib.util.find_spec("distributed") is None:
        raise UsageError(MISSING_DASK)
    return chosen, scheduler or None
