"""Opening HDF5 containers (h5ad, GCTX) safely: wrong formats, truncation, links that leave the file.

h5py follows an external link to any file on disk (`/etc/passwd` included) when asked to, so the walk here looks at
link objects first and never dereferences soft or external links or virtual-dataset sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from validators.core.model import Finding, Location, Rule, Severity
from validators.core.unreadable import EMPTY_FILE, MISSING_FILE, UNREADABLE, open_error

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_TRUNCATED = re.compile(r"eof = (\d+).*stored_eof = (\d+)")

NOT_HDF5 = Rule(
    "OMX910",
    "not-hdf5",
    Severity.ERROR,
    "Not an HDF5 file",
    "the file is not HDF5{what}",
    "h5ad and GCTX are HDF5 containers. A file renamed from another format cannot be read as one; export it "
    "again in the right format.",
    bad="gzip data saved as GSE1_GPL1.h5ad",
    good="adata.write_h5ad('GSE1_GPL1.h5ad')",
)
TRUNCATED_HDF5 = Rule(
    "OMX911",
    "truncated-hdf5",
    Severity.ERROR,
    "HDF5 file truncated",
    "the file is truncated: {size} bytes on disk, {expected} expected ({missing} missing)",
    "The HDF5 superblock records how long the file should be; a shorter file was cut off during a copy or "
    "download. Transfer it again and compare checksums.",
    bad="(an interrupted copy)",
    good="(the complete file)",
)
LINK_OUTSIDE = Rule(
    "OMX912",
    "hdf5-link-outside-file",
    Severity.ERROR,
    "HDF5 link or virtual dataset pointing outside the file",
    "{what} {name!r} points to {target}; it was not followed",
    "External links and virtual datasets make a reader open other files, anywhere on the machine that ingests "
    "the data. A dataset must be self-contained: copy the data into the file.",
    bad="/X -> external link to /data/other.h5",
    good="/X stored in the file",
)
HDF5_READ_ERROR = Rule(
    "OMX913",
    "hdf5-object-unreadable",
    Severity.ERROR,
    "HDF5 object cannot be read",
    "{name!r} cannot be read: {detail}",
    "An object whose compression filter is not available, or whose storage is corrupt, cannot be read by Polly's "
    "ingestion either.",
    bad="a dataset compressed with a plugin filter",
    good="gzip or lzf compression",
)
LINK_CYCLE = Rule(
    "OMX915",
    "hdf5-link-cycle",
    Severity.ERROR,
    "HDF5 group linked into itself",
    "{name!r} is the group {target!r} again: the file's tree loops",
    "A hard link from a group to one of its ancestors makes the tree endless: a reader that walks it (anndata "
    "reading uns) never finishes. Each group is checked once, where it is first met.",
    bad="/uns/a/loop -> /uns",
    good="no link back to an ancestor",
)

RULES = (NOT_HDF5, TRUNCATED_HDF5, LINK_OUTSIDE, HDF5_READ_ERROR, LINK_CYCLE, MISSING_FILE, EMPTY_FILE, UNREADABLE)


def _sniff(head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return " (it is gzip-compressed)"
    if head.startswith(b"PK\x03\x04"):
        return " (it is a zip archive)"
    if head.startswith((b"{", b"[")):
        return " (it looks like JSON)"
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head[:64]):
        return " (it looks like a text file)"
    return ""


def open_hdf5(path: Path, display: str) -> tuple[Any, list[Finding]]:
    """An open read-only h5py.File, or None with the findings that say why not."""
    import h5py

    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError as exc:
        return None, [open_error(exc, display)]
    if size == 0:
        return None, [EMPTY_FILE.finding(display, detail="")]
    if HDF5_SIGNATURE not in (head[:8], head[512:520]):
        return None, [NOT_HDF5.finding(display, what=_sniff(head))]
    try:
        return h5py.File(path, "r", locking=False), []
    except OSError as exc:
        match = _TRUNCATED.search(str(exc))
        if match:
            on_disk, expected = int(match.group(1)), int(match.group(2))
            return None, [TRUNCATED_HDF5.finding(display, size=on_disk, expected=expected, missing=expected - on_disk)]
        return None, [UNREADABLE.finding(display, detail=str(exc))]


def walk(
    group: Any, display: str, findings: list[Finding], prefix: str = "", seen: dict[Any, str] | None = None
) -> Iterator[tuple[str, Any]]:
    """(path, object) for every hard-linked object below `group`. Soft links are checked, external links and
    virtual datasets with outside sources are reported; none of them is followed. Each group is walked once: a
    group met again under another path is not walked again (a loop is reported; a shared subtree is not), so a
    file of a few objects cannot become billions of paths."""
    import h5py

    seen = {} if seen is None else seen
    for name in group:
        path = f"{prefix}/{name}" if prefix else name
        link = group.get(name, getlink=True)
        if isinstance(link, h5py.ExternalLink):
            target = f"{link.filename}:{link.path}"
            findings.append(
                LINK_OUTSIDE.finding(display, Location(pointer=path), what="external link", name=path, target=target)
            )
            continue
        if isinstance(link, h5py.SoftLink):
            continue  # its target is walked where it lives; following it here could loop
        try:
            obj = group[name]
        except (KeyError, OSError) as exc:
            findings.append(HDF5_READ_ERROR.finding(display, Location(pointer=path), name=path, detail=str(exc)))
            continue
        if isinstance(obj, h5py.Dataset):
            if obj.is_virtual:
                outside = sorted({s.file_name for s in obj.virtual_sources() if s.file_name != "."})
                if outside:
                    findings.append(
                        LINK_OUTSIDE.finding(
                            display,
                            Location(pointer=path),
                            what="virtual dataset",
                            name=path,
                            target=", ".join(outside),
                        )
                    )
                    continue
            yield path, obj
        elif isinstance(obj, h5py.Group):
            first = seen.get(obj.id)
            if first is not None:
                if f"{path}/".startswith(f"{first}/"):
                    findings.append(LINK_CYCLE.finding(display, Location(pointer=path), name=path, target=first))
                continue
            seen[obj.id] = path
            yield path, obj
            yield from walk(obj, display, findings, path, seen)


def scan(handle: Any, display: str) -> list[Finding]:
    """Walk the whole file once for links leaving it and objects that cannot be opened."""
    findings: list[Finding] = []
    for _ in walk(handle, display, findings):
        pass
    return findings


def unsafe_paths(findings: list[Finding]) -> set[str]:
    """Element paths that must not be read (external links, outside virtual datasets, unreadable objects)."""
    unsafe = (LINK_OUTSIDE.code, HDF5_READ_ERROR.code, LINK_CYCLE.code)
    return {f.location.pointer for f in findings if f.code in unsafe}
