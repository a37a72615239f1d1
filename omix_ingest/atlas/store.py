"""The embedded local atlas: a SQLite database plus a content-addressed file store under one data directory.

Why it stays consistent: file bytes are written to a temporary name and renamed into `objects/` (named by their
sha256) before any database change; all database changes of one ingestion happen in one `BEGIN IMMEDIATE`
transaction. A crash before the commit leaves at most unreferenced objects; after it, every referenced object is
complete. SQLite's locking serialises concurrent writers (other processes wait, up to a timeout).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class StoreError(Exception):
    """The data directory or database cannot be used (permissions, corruption, not an omix store)."""


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
        try:
            self.objects.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(root / "atlas.sqlite3", timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(SCHEMA)  # idempotent (IF NOT EXISTS); executescript manages its own commit
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"the local atlas at {root} cannot be opened: {exc}") from None
        self._mark_interrupted_runs()

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; `BEGIN IMMEDIATE` takes the write lock up front, so writers queue, not fail."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _mark_interrupted_runs(self) -> None:
        running = self.db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall()
        stale = [row["id"] for row in running if not _pid_alive(row["pid"]) or row["pid"] == os.getpid()]
        if stale:
            with self.transaction() as db:
                db.executemany(
                    "UPDATE runs SET status = 'interrupted', finished = ? WHERE id = ?", [(now(), i) for i in stale]
                )

    # ------------------------------------------------------------------------------------------- objects

    def object_path(self, sha256: str) -> Path:
        return self.objects / sha256[:2] / sha256[2:]

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy a file into the store, hashing while copying; returns (sha256, size) of the bytes stored."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=self.objects)
        try:
            with source.open("rb") as reader, os.fdopen(fd, "wb") as writer:
                while chunk := reader.read(1 << 20):
                    digest.update(chunk)
                    writer.write(chunk)
                    size += len(chunk)
                writer.flush()
                os.fsync(writer.fileno())
            self._settle(Path(tmp), digest.hexdigest())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=self.objects)
        try:
            with os.fdopen(fd, "wb") as writer:
                writer.write(data)
                writer.flush()
                os.fsync(writer.fileno())
            self._settle(Path(tmp), sha256)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256

    def _settle(self, tmp: Path, sha256: str) -> None:
        final = self.object_path(sha256)
        final.parent.mkdir(exist_ok=True)
        if final.exists():
            tmp.unlink()
        else:
            tmp.replace(final)

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
        """Database integrity plus: every referenced object exists with the recorded hash. For tests and `doctor`."""
        problems = [r[0] for r in self.db.execute("PRAGMA integrity_check") if r[0] != "ok"]
        for record in (DatasetRecord(**dict(r)) for r in self.db.execute("SELECT * FROM datasets")):
            for sha in (record.metadata_sha256, record.data_sha256):
                path = self.object_path(sha)
                if not path.exists():
                    problems.append(f"{record.atlas}/{record.dataset_id}: object {sha} is missing")
                elif hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                    problems.append(f"{record.atlas}/{record.dataset_id}: object {sha} is corrupt")
        return problems
