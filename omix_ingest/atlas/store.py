"""The embedded local atlas: a SQLite database plus a content-addressed file store under one data directory.

Why it stays consistent: an ingestion's files are copied into the writer's own staging area (see staging.py) and
become visible in `objects/` (named by their sha256) only inside the one `BEGIN IMMEDIATE` transaction that also
writes every row of that ingestion. A writer killed before the commit leaves an abandoned staging area, which the
next process to open the store clears, withdrawing the objects that writer linked; after the commit every
referenced object is complete. SQLite's locking serialises concurrent writers (other processes wait, up to a
timeout). A full disk or a broken database ends in a StoreError that says so, never in a half-written dataset.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omix_ingest.atlas import integrity
from omix_ingest.atlas.faults import crash_point
from omix_ingest.atlas.runs_recovery import interrupted_summary
from omix_ingest.atlas.staging import StagingArea, abandoned, object_path, recover
from omix_ingest.backend import BackendError

SCHEMA = """
CREATE TABLE IF NOT EXISTS atlases (
    name TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    dataset_schema TEXT NOT NULL,
    rules TEXT NOT NULL,
    source TEXT,
    data_type TEXT
);
CREATE TABLE IF NOT EXISTS sample_schemas (
    atlas TEXT NOT NULL REFERENCES atlases(name) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    schema TEXT NOT NULL,
    PRIMARY KEY (atlas, kind)
);
CREATE TABLE IF NOT EXISTS datasets (
    atlas TEXT NOT NULL REFERENCES atlases(name) ON DELETE CASCADE,
    dataset_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    folder TEXT NOT NULL,
    metadata TEXT NOT NULL,
    metadata_sha256 TEXT NOT NULL,
    data_name TEXT NOT NULL,
    data_sha256 TEXT NOT NULL,
    data_size INTEGER NOT NULL,
    updated TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (atlas, dataset_id)
);
CREATE TABLE IF NOT EXISTS dataset_versions (
    atlas TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    metadata_sha256 TEXT NOT NULL,
    data_sha256 TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    recorded TEXT NOT NULL,
    PRIMARY KEY (atlas, dataset_id, version)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    atlas TEXT NOT NULL,
    action TEXT NOT NULL,
    priority TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    pid INTEGER NOT NULL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS events (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    dataset_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""

BUSY_TIMEOUT_SECONDS = 120.0
LEGACY_GRACE_SECONDS = 3600.0


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class StoreError(BackendError):
    """The data directory or database cannot be used (permissions, corruption, a full disk, not an omix store)."""


def disk_is_full(root: Path, exc: BaseException | None = None) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
        return True
    try:
        return shutil.disk_usage(root).free < 64 * 1024  # SQLite reports a full disk as an I/O error on opening
    except OSError:
        return False


def explain(root: Path, exc: BaseException) -> str:
    """The error, saying so when the disk holding the atlas is full (SQLite's own words do not always)."""
    text = getattr(exc, "strerror", None) or str(exc)
    if disk_is_full(root, exc):
        return f"the disk holding the local atlas at {root} is full ({text}); free some space and run it again"
    return text


@dataclass(frozen=True)
class AtlasRecord:
    name: str
    created: str
    dataset_schema: str
    rules: str
    source: str | None
    data_type: str | None
    sample_schemas: dict[str, str]


@dataclass(frozen=True)
class DatasetRecord:
    atlas: str
    dataset_id: str
    version: int
    folder: str
    metadata: str
    metadata_sha256: str
    data_name: str
    data_sha256: str
    data_size: int
    updated: str
    run_id: int

    @property
    def path(self) -> str:
        """The dataset's path in the atlas, as Polly's file listing gives it."""
        return f"{self.folder}/{self.data_name}" if self.folder else self.data_name


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.staging_root = root / "staging"
        self._area: StagingArea | None = None
        try:
            self.objects.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(root / "atlas.sqlite3", timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)  # idempotent (IF NOT EXISTS); executescript manages its own commit
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"the local atlas at {root} cannot be opened: {explain(root, exc)}") from None
        with contextlib.suppress(StoreError):  # e.g. a full disk: reading still works, recovery waits for space
            self._recover()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; `BEGIN IMMEDIATE` takes the write lock up front, so writers queue, not fail."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"the local atlas at {self.root} cannot be written: {explain(self.root, exc)}") from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(
                    f"the local atlas at {self.root} could not save the change: {explain(self.root, exc)}"
                ) from None
            raise

    def _stale_runs(self) -> list[int]:
        running = self.db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall()
        return [row["id"] for row in running if not _pid_alive(row["pid"]) or row["pid"] == os.getpid()]

    def _recover(self) -> None:
        """Finish what killed writers left: clear abandoned staging areas (withdrawing objects they linked but
        never committed) and mark their runs interrupted, saying what of each run is in the atlas."""
        legacy = list(self.objects.glob(".incoming-*"))  # copies of versions before staging areas, never referenced
        if not self._stale_runs() and not abandoned(self.staging_root) and not legacy:
            return
        with self.transaction() as db:
            recover(self.staging_root, self.objects, lambda: integrity.referenced_objects(db))
            for path in legacy:
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < time.time() - LEGACY_GRACE_SECONDS:  # an older version may still run
                        path.unlink()
            db.executemany(
                "UPDATE runs SET status = 'interrupted', finished = ?, summary = ? WHERE id = ?",
                [(now(), interrupted_summary(db, run_id), run_id) for run_id in self._stale_runs()],
            )

    # ------------------------------------------------------------------------------------------- objects

    def object_path(self, sha256: str) -> Path:
        return object_path(self.objects, sha256)

    @contextlib.contextmanager
    def staging(self) -> Iterator[StagingArea]:
        """A staging area for one ingestion: `put_file`/`put_bytes` fill it, `publish` (inside the transaction
        that references the objects) makes them visible. On the way out the area goes; what was published by a
        transaction that did not commit is withdrawn."""
        with self.transaction():  # areas appear only under the write lock: a recovery never sees one half-made
            area = StagingArea.create(self.staging_root)
        self._area = area
        try:
            yield area
        finally:
            self._area = None
            self._clear(area)

    def _clear(self, area: StagingArea) -> None:
        try:
            if area.published:
                with self.transaction() as db:
                    area.withdraw(self.objects, integrity.referenced_objects(db))
            area.remove()
        except (OSError, StoreError):
            area.release_lock()  # left for the next process to open the store: it is abandoned now

    def _current_area(self) -> StagingArea:
        if self._area is None:
            raise StoreError("files are stored through a staging area (LocalStore.staging)")
        return self._area

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy a file into the staging area, hashing while copying; returns (sha256, size) of the bytes stored."""
        return self._current_area().put_file(source)

    def put_bytes(self, data: bytes) -> str:
        return self._current_area().put_bytes(data)

    def publish(self, shas: list[str]) -> None:
        """Inside the transaction whose rows reference `shas`."""
        self._current_area().publish(self.objects, shas)
        crash_point("published")

    def committed(self) -> None:
        """The transaction that published has committed: its objects stay whatever happens next."""
        self._current_area().committed()

    # -------------------------------------------------------------------------------------------- atlases

    def create_atlas(
        self,
        name: str,
        dataset_schema: str,
        sample_schemas: dict[str, str],
        rules: str,
        source: str | None = None,
        data_type: str | None = None,
    ) -> None:
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM atlases WHERE name = ?", (name,)).fetchone():
                raise StoreError(f"atlas {name!r} already exists")
            db.execute(
                "INSERT INTO atlases (name, created, dataset_schema, rules, source, data_type) VALUES (?,?,?,?,?,?)",
                (name, now(), dataset_schema, rules, source, data_type),
            )
            db.executemany(
                "INSERT INTO sample_schemas (atlas, kind, schema) VALUES (?,?,?)",
                [(name, kind, text) for kind, text in sample_schemas.items()],
            )

    def atlas(self, name: str) -> AtlasRecord | None:
        row = self.db.execute("SELECT * FROM atlases WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        samples = self.db.execute("SELECT kind, schema FROM sample_schemas WHERE atlas = ?", (name,)).fetchall()
        return AtlasRecord(
            row["name"],
            row["created"],
            row["dataset_schema"],
            row["rules"],
            row["source"],
            row["data_type"],
            {s["kind"]: s["schema"] for s in samples},
        )

    def atlas_names(self) -> list[str]:
        return [r["name"] for r in self.db.execute("SELECT name FROM atlases ORDER BY name")]

    # ------------------------------------------------------------------------------------------- datasets

    def datasets(self, atlas: str) -> list[DatasetRecord]:
        rows = self.db.execute("SELECT * FROM datasets WHERE atlas = ? ORDER BY dataset_id", (atlas,))
        return [DatasetRecord(**dict(r)) for r in rows]

    def dataset(self, atlas: str, dataset_id: str, db: sqlite3.Connection | None = None) -> DatasetRecord | None:
        row = (
            (db or self.db)
            .execute("SELECT * FROM datasets WHERE atlas = ? AND dataset_id = ?", (atlas, dataset_id))
            .fetchone()
        )
        return DatasetRecord(**dict(row)) if row else None

    def write_dataset(self, db: sqlite3.Connection, record: DatasetRecord) -> None:
        db.execute(
            "INSERT OR REPLACE INTO datasets VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.atlas,
                record.dataset_id,
                record.version,
                record.folder,
                record.metadata,
                record.metadata_sha256,
                record.data_name,
                record.data_sha256,
                record.data_size,
                record.updated,
                record.run_id,
            ),
        )
        db.execute(
            "INSERT OR REPLACE INTO dataset_versions VALUES (?,?,?,?,?,?,?)",
            (
                record.atlas,
                record.dataset_id,
                record.version,
                record.metadata_sha256,
                record.data_sha256,
                record.run_id,
                record.updated,
            ),
        )

    def remove_dataset(self, db: sqlite3.Connection, atlas: str, dataset_id: str) -> None:
        db.execute("DELETE FROM datasets WHERE atlas = ? AND dataset_id = ?", (atlas, dataset_id))

    # ----------------------------------------------------------------------------------------------- runs

    def start_run(self, atlas: str, action: str, priority: str) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (atlas, action, priority, started, status, pid) VALUES (?,?,?,?,?,?)",
                (atlas, action, priority, now(), "running", os.getpid()),
            )
            return int(cursor.lastrowid or 0)

    def record_events(self, db: sqlite3.Connection, run_id: int, rows: list[tuple[str, str, str, str, str]]) -> None:
        db.executemany(
            "INSERT INTO events (run_id, dataset_id, file_name, status, message, reason) VALUES (?,?,?,?,?,?)",
            [(run_id, *row) for row in rows],
        )

    def finish_run(self, db: sqlite3.Connection, run_id: int, status: str, summary: str) -> None:
        db.execute(
            "UPDATE runs SET status = ?, finished = ?, summary = ? WHERE id = ?", (status, now(), summary, run_id)
        )

    def runs(self, atlas: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        query = "SELECT * FROM runs" + (" WHERE atlas = ?" if atlas else "") + " ORDER BY id DESC LIMIT ?"
        params: tuple[Any, ...] = (atlas, limit) if atlas else (limit,)
        return [dict(r) for r in self.db.execute(query, params)]

    def events(self, run_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM events WHERE run_id = ? ORDER BY rowid", (run_id,))]

    def integrity_problems(self) -> list[str]:
        """Every broken invariant of this atlas (integrity.py); for tests and support, with no writer running."""
        return integrity.problems(self.root)
