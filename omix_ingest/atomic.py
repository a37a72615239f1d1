"""Writing a file so that a reader never sees half of it: write next to the target, then rename.

The file gets the mode a plain `open()` would give (0666 less the umask), not mkstemp's private 0600: reports and
template lock files are read by colleagues and committed to repositories. Only the signing key is private, and it
is written elsewhere with its own mode.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def umask() -> int:
    current = os.umask(0)  # the only way to read it is to set it; put it straight back
    os.umask(current)
    return current


def write_atomically(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write beside the target, flush to disk, rename over it, and flush the folder: after a crash the path holds
    the old bytes or the new ones. `mode` keeps a replaced file's permissions (`omix fix` rewriting a curator's
    file); by default the file gets what a plain `open()` would give."""
    folder = path.parent if str(path.parent) else Path()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        os.fchmod(fd, 0o666 & ~umask() if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
