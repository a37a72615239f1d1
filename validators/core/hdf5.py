"""Opening HDF5 containers (h5ad, GCTX) safely: wrong formats, truncation, links that leave the file.

h5py follows an external link to any file on disk (`/etc/passwd` included) when asked to, so the walk here looks at
link objects first and never dereferences soft or external links or virtual-dataset sources.
"""

from __future__ import annotations

import math
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

EXPANSION = Rule(
    "OMX918",
    "hdf5-expansion-bomb",
    Severity.ERROR,
    "HDF5 object that expands far beyond the file",
    "{name!r} {problem}; it was not read",
    "A few kilobytes of HDF5 can declare terabytes: chunks that were never written read back as fill values, "
    "compressed zeros inflate a thousandfold, one huge compressed chunk must be inflated whole to read one value, "
    "and groups linked twice over at every level are reached by billions of paths (anndata reads each). Real "
    "expression data compresses a few times, not hundreds; write the data itself, or drop a placeholder.",
    bad="X: 10^6 x 10^6 float32 (4 TB) declared, 0 bytes stored",
    good="X: the values it declares, stored",
)

RULES = (
    NOT_HDF5, TRUNCATED_HDF5, LINK_OUTSIDE, HDF5_READ_ERROR, LINK_CYCLE, EXPANSION, MISSING_FILE, EMPTY_FILE,
    UNREADABLE,
)  # fmt: skip


# Where a superblock may start (after a user block of 512, 1024, 2048, ... bytes), and how long versions 0-3 are
# with 8-byte offsets: a shorter file was cut inside it.
SUPERBLOCK_LENGTH = {0: 96, 1: 100, 2: 48, 3: 48}
MAX_SOFT_HOPS = 16  # HDF5's own limit on nested soft links
# A dataset is not read when it declares at least BOMB_BYTES and stores a hundredth of that or less, or when one
# compressed chunk would inflate to more than CHUNK_BYTES. A tree expanding to more than EXPANSION_PATHS objects
# (groups reached under several names, counted once per name) is reported once, at its deepest such group.
BOMB_BYTES = 64 * 1024**2
BOMB_RATIO = 100
CHUNK_BYTES = 128 * 1024**2
EXPANSION_PATHS = 1_000_000
_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError)


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


def _superblock(handle: Any, size: int) -> tuple[int, bytes] | None:
    """Where the superblock starts (0, 512, 1024, ...) and its first bytes, or None when there is none."""
    offset = 0
    while offset + len(HDF5_SIGNATURE) <= size:
        handle.seek(offset)
        block = handle.read(64)
        if block.startswith(HDF5_SIGNATURE):
            return offset, block
        offset = 512 if offset == 0 else offset * 2
    return None


def _cut_in_superblock(start: int, block: bytes, size: int) -> int | None:
    """The superblock's end when the file stops before it, else None."""
    version = block[8] if len(block) > 8 else None
    end = start + SUPERBLOCK_LENGTH.get(version if version is not None else 0, 48)
    return end if size < end else None


def open_hdf5(path: Path, display: str) -> tuple[Any, list[Finding]]:
    """An open read-only h5py.File, or None with the findings that say why not."""
    import h5py

    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(1024)
            found = _superblock(handle, size)
    except OSError as exc:
        return None, [open_error(exc, display)]
    if size == 0:
        return None, [EMPTY_FILE.finding(display, detail="")]
    if found is None:
        return None, [NOT_HDF5.finding(display, what=_sniff(head))]
    try:
        return h5py.File(path, "r", locking=False), []
    except OSError as exc:
        match = _TRUNCATED.search(str(exc))
        if match:
            on_disk, expected = int(match.group(1)), int(match.group(2))
            return None, [TRUNCATED_HDF5.finding(display, size=on_disk, expected=expected, missing=expected - on_disk)]
        end = _cut_in_superblock(*found, size)
        if end is not None:  # too short to hold the superblock, let alone the length it records
            return None, [TRUNCATED_HDF5.finding(display, size=size, expected=f"at least {end}", missing=end - size)]
        return None, [UNREADABLE.finding(display, detail=str(exc))]
    except (RuntimeError, ValueError) as exc:
        return None, [UNREADABLE.finding(display, detail=str(exc))]


def _resolve(root: Any, group: Any, target: str, hops: int = 0) -> tuple[str, Any]:
    """Where a soft link leads, followed by hand one name at a time so that no external link on the way is ever
    opened: ("object", obj), ("outside", external link text), ("missing", None) or ("loop", None)."""
    import h5py

    if hops >= MAX_SOFT_HOPS:
        return "loop", None
    current = root if target.startswith("/") else group
    for part in (p for p in target.split("/") if p not in ("", ".")):
        if not isinstance(current, h5py.Group):
            return "missing", None
        try:
            link = current.get(part, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                return "outside", f"{link.filename}:{link.path}"
            if isinstance(link, h5py.SoftLink):
                kind, current = _resolve(root, current, link.path, hops + 1)
                if kind != "object":
                    return kind, current
            elif link is None:
                return "missing", None
            else:
                current = current[part]
        except _ERRORS:
            return "missing", None
    return "object", current


def _bomb(dset: Any) -> str | None:
    """Why reading a dataset would inflate far beyond what the file stores, or None. Only metadata is read."""
    declared = math.prod(dset.shape or ()) * dset.id.get_type().get_size()
    if dset.chunks is not None and dset.compression is not None:
        chunk = math.prod(dset.chunks) * dset.id.get_type().get_size()
        if chunk > CHUNK_BYTES:
            return f"is stored in compressed chunks of {chunk:,} bytes each: reading any value inflates a whole chunk"
    if declared < BOMB_BYTES:
        return None
    stored = dset.id.get_storage_size()
    if stored == 0:
        return f"declares {declared:,} bytes of values, and none of them were ever written"
    if stored * BOMB_RATIO < declared:
        return f"declares {declared:,} bytes of values but stores {stored:,} ({declared // stored:,} times fewer)"
    return None


class _Tree:
    """What a walk learned about the groups: each one's first path, and its links to groups and datasets."""

    def __init__(self) -> None:
        self.first: dict[Any, str] = {}
        self.links: dict[Any, list[tuple[str, Any]]] = {}  # group id -> (link path, group id or None for a dataset)

    def cycles(self, root: Any) -> Iterator[tuple[str, str]]:
        """(link path, target path) of every link that closes a loop, hard or soft (depth-first, no recursion)."""
        state: dict[Any, int] = {root: 1}  # 1: on the current path, 2: done
        stack = [(root, iter(self.links.get(root, ())))]
        while stack:
            node, edges = stack[-1]
            for link_path, child in edges:
                if child is None:
                    continue
                if state.get(child) == 1:
                    yield link_path, self.first.get(child, "/")
                elif child not in state:
                    state[child] = 1
                    stack.append((child, iter(self.links.get(child, ()))))
                    break
            else:
                state[node] = 2
                stack.pop()

    def expansion(self, root: Any, closing: set[str]) -> tuple[Any, int] | None:
        """The deepest group whose subtree, expanded as a reader expands it (once per path), exceeds
        EXPANSION_PATHS objects, with that count; loops (`closing` links) are left out."""
        size: dict[Any, int] = {}
        stack = [(root, False)]
        worst: tuple[Any, int] | None = None
        while stack:
            node, ready = stack.pop()
            if node in size:
                continue
            children = [c for p, c in self.links.get(node, ()) if p not in closing and c is not None]
            if not ready:
                stack.append((node, True))
                stack.extend((c, False) for c in children if c not in size)
                continue
            total = (
                1
                + sum(size.get(c, 0) for c in children)
                + sum(1 for p, c in self.links.get(node, ()) if c is None and p not in closing)
            )
            size[node] = total
            if total > EXPANSION_PATHS and not any(size.get(c, 0) > EXPANSION_PATHS for c in children):
                worst = worst or (node, total)
        return worst


def walk(group: Any, display: str, findings: list[Finding]) -> Iterator[tuple[str, Any]]:
    """(path, object) for every hard-linked object below `group`, each group once (without recursion, so depth is
    no limit). External links, soft links that leave the file through one, dangling or looping soft links, virtual
    datasets with outside sources and datasets that would inflate far beyond the file are reported and not
    yielded; nothing outside the file is ever opened. Links that close a loop, and trees that expand to billions
    of paths, are reported once the walk is done."""
    import h5py

    root = group.file
    tree = _Tree()
    tree.first[group.id] = ""
    pending = [("", group)]
    while pending:
        prefix, current = pending.pop()
        edges = tree.links.setdefault(current.id, [])
        try:
            names = list(current)
        except _ERRORS as exc:
            findings.append(
                HDF5_READ_ERROR.finding(display, Location(pointer=prefix or "/"), name=prefix or "/", detail=str(exc))
            )
            continue
        children = []
        for name in names:
            path = f"{prefix}/{name}" if prefix else name
            where = Location(pointer=path)
            try:
                link = current.get(name, getlink=True)
            except _ERRORS as exc:
                findings.append(HDF5_READ_ERROR.finding(display, where, name=path, detail=str(exc)))
                continue
            if isinstance(link, h5py.ExternalLink):
                target = f"{link.filename}:{link.path}"
                findings.append(LINK_OUTSIDE.finding(display, where, what="external link", name=path, target=target))
                continue
            if isinstance(link, h5py.SoftLink):
                kind, obj = _resolve(root, current, link.path)
                if kind == "outside":
                    target = f"{link.path} through the external link {obj}"
                    findings.append(LINK_OUTSIDE.finding(display, where, what="soft link", name=path, target=target))
                elif kind == "missing":
                    detail = f"it is a soft link to {link.path!r}, which does not exist"
                    findings.append(HDF5_READ_ERROR.finding(display, where, name=path, detail=detail))
                elif kind == "loop":
                    findings.append(LINK_CYCLE.finding(display, where, name=path, target=link.path))
                else:  # its target is walked where it lives; a loop it closes is found once the walk is done
                    edges.append((path, obj.id if isinstance(obj, h5py.Group) else None))
                continue
            try:
                obj = current[name]
                problem = _bomb(obj) if isinstance(obj, h5py.Dataset) and not obj.is_virtual else None
            except _ERRORS as exc:
                findings.append(HDF5_READ_ERROR.finding(display, where, name=path, detail=str(exc)))
                continue
            if isinstance(obj, h5py.Dataset):
                edges.append((path, None))
                if obj.is_virtual:
                    outside = sorted({s.file_name for s in obj.virtual_sources() if s.file_name != "."})
                    if outside:
                        findings.append(
                            LINK_OUTSIDE.finding(
                                display, where, what="virtual dataset", name=path, target=", ".join(outside)
                            )
                        )
                        continue
                if problem is not None:
                    findings.append(EXPANSION.finding(display, where, name=path, problem=problem))
                    continue
                yield path, obj
            elif isinstance(obj, h5py.Group):
                edges.append((path, obj.id))
                if obj.id in tree.first:
                    continue  # met before: a loop (reported below) or a shared subtree, walked once
                tree.first[obj.id] = path
                yield path, obj
                children.append((path, obj))
        pending.extend(reversed(children))
    closing = set()
    for link_path, target in tree.cycles(group.id):
        closing.add(link_path)
        findings.append(LINK_CYCLE.finding(display, Location(pointer=link_path), name=link_path, target=target or "/"))
    worst = tree.expansion(group.id, closing)
    if worst is not None:
        node, total = worst
        path = tree.first.get(node) or "/"
        problem = f"expands to {total:,} objects when read path by path (groups linked under several names)"
        findings.append(EXPANSION.finding(display, Location(pointer=path), name=path, problem=problem))


def scan(handle: Any, display: str) -> list[Finding]:
    """Walk the whole file once for links leaving it and objects that cannot be opened."""
    findings: list[Finding] = []
    for _ in walk(handle, display, findings):
        pass
    return findings


def unsafe_paths(findings: list[Finding]) -> set[str]:
    """Element paths that must not be read (links leaving the file or looping, unreadable or inflating objects)."""
    unsafe = (LINK_OUTSIDE.code, HDF5_READ_ERROR.code, LINK_CYCLE.code, EXPANSION.code)
    return {f.location.pointer for f in findings if f.code in unsafe}


def blocked(path: str, unsafe: set[str]) -> bool:
    """Whether `path` is unsafe, lies below an unsafe path, or holds one (reading it would reach one)."""
    return any(u == path or u.startswith(f"{path}/") or path.startswith(f"{u}/") for u in unsafe)
