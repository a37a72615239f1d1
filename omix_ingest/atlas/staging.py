"""Staging areas: where one ingestion's files wait, invisible to the atlas, until the transaction that references
them commits.

Why: the store is content-addressed, so a file copied straight into `objects/` and then abandoned (a kill, a full
disk, a refused commit) would stay there unreferenced for ever, and a half-copied one would sit in the store's
namespace. Instead each writer copies into its own area `staging/<token>/`, held by an flock on
`staging/<token>.lock` for as long as the writer lives, names a file by its sha256 only once it is complete and on
disk, and hard-links it into `objects/` inside the write transaction that references it. The staged name stays
until that transaction is over, so whoever finds an abandoned area (its lock is free: the writer died) knows which
objects the writer may have published: those no committed row references are removed, then the area. Areas are
created, published from and cleared only under the database's write lock, so no other writer is half-way through
a commit while that happens.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

from omix_ingest.atlas.faults import crash_point

CHUNK = 1 << 20
LOCK_SUFFIX = ".lock"


def object_path(objects: Path, sha256: str) -> Path:
    return objects / sha256[:2] / sha256[2:]


def fsync_dir(folder: Path) -> None:
    """Make renames and links in `folder` durable (a crash of the machine, not only of the process)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_sha(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


class StagingArea:
    """One writer's area. Create it with `create` while holding the write lock."""

    def __init__(self, root: Path, token: str, lock_fd: int) -> None:
        self.root, self.token, self._lock_fd = root, token, lock_fd
        self.folder = root / token
        self.published: set[str] = set()  # linked into objects/ by a transaction not yet known to have committed

    @classmethod
    def create(cls, root: Path) -> StagingArea:
        root.mkdir(exist_ok=True)
        token = f"{os.getpid()}-{secrets.token_hex(6)}"
        lock = root / f"{token}{LOCK_SUFFIX}"
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            (root / token).mkdir()
        except BaseException:
            os.close(fd)
            lock.unlink(missing_ok=True)
            raise
        return cls(root, token, fd)

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy a file in, hashing while copying; returns (sha256, size) of the bytes staged."""
        digest = hashlib.sha256()
        size = 0
        partial = self.folder / f".partial-{secrets.token_hex(6)}"
        try:
            with source.open("rb") as reader, partial.open("xb") as writer:
                while chunk := reader.read(CHUNK):
                    digest.update(chunk)
                    writer.write(chunk)
                    size += len(chunk)
                    crash_point("partial")
                writer.flush()
                os.fsync(writer.fileno())
            partial.replace(self.folder / digest.hexdigest())
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        crash_point("staged")
        return digest.hexdigest(), size

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        partial = self.folder / f".partial-{secrets.token_hex(6)}"
        try:
            with partial.open("xb") as writer:
                writer.write(data)
                writer.flush()
                os.fsync(writer.fileno())
            partial.replace(self.folder / sha256)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        crash_point("staged")
        return sha256

    def publish(self, objects: Path, shas: Iterable[str]) -> None:
        """Inside the write transaction: make staged objects visible under their final names, durably."""
        fsync_dir(self.folder)
        touched = set()
        for sha in sorted(set(shas)):
            final = object_path(objects, sha)
            if final.exists():
                continue  # complete: objects only appear, by link or rename, under the write lock
            final.parent.mkdir(exist_ok=True)
            self.published.add(sha)
            _link_or_copy(self.folder / sha, final, f".{self.token}.{sha[2:]}")
            touched.add(final.parent)
        for folder in touched:
            fsync_dir(folder)
        fsync_dir(objects)

    def committed(self) -> None:
        """The transaction that referenced every published object has committed: nothing to withdraw any more."""
        self.published.clear()

    def withdraw(self, objects: Path, referenced: set[str]) -> None:
        """Under the write lock, after a transaction that did not commit: remove what it published."""
        _withdraw(objects, self.token, self.published, referenced)
        self.published.clear()

    def remove(self) -> None:
        """Delete the area and give up its lock (the files are no longer needed, or are referenced)."""
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.folder)
        (self.root / f"{self.token}{LOCK_SUFFIX}").unlink(missing_ok=True)
        self.release_lock()

    def release_lock(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1


def _link_or_copy(staged: Path, final: Path, temp_name: str) -> None:
    try:
        os.link(staged, final)
        return
    except FileExistsError:
        return
    except OSError:
        pass  # a filesystem without hard links: copy under a name the area's owner can be traced by
    temp = final.parent / temp_name
    shutil.copyfile(staged, temp)
    with temp.open("rb+") as handle:
        os.fsync(handle.fileno())
    temp.replace(final)


def _withdraw(objects: Path, token: str, shas: Iterable[str], referenced: set[str]) -> None:
    for sha in shas:
        if sha not in referenced:
            object_path(objects, sha).unlink(missing_ok=True)
        (objects / sha[:2] / f".{token}.{sha[2:]}").unlink(missing_ok=True)


def _lock_is_free(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # also releases the probe's own lock
    return True


def abandoned(root: Path) -> list[str]:
    """Tokens of areas whose writer is gone. A probe only: act on it under the write lock (see `recover`)."""
    if not root.is_dir():
        return []
    return [p.name.removesuffix(LOCK_SUFFIX) for p in sorted(root.glob(f"*{LOCK_SUFFIX}")) if _lock_is_free(p)]


def recover(root: Path, objects: Path, referenced: Callable[[], set[str]]) -> list[str]:
    """Under the write lock: clear every abandoned area, withdrawing what its writer published but never
    committed. Returns the tokens cleared."""
    tokens = abandoned(root)
    known: set[str] | None = None
    for token in tokens:
        folder = root / token
        staged = [p.name for p in folder.iterdir() if _is_sha(p.name)] if folder.is_dir() else []
        if staged:
            known = referenced() if known is None else known
            _withdraw(objects, token, staged, known)
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(folder)
        (root / f"{token}{LOCK_SUFFIX}").unlink(missing_ok=True)
    return tokens
