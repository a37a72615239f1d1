"""What must hold of a local atlas's data directory, checked from the outside: for tests, benchmarks and support.

It reads the database with a plain connection (no recovery of ours runs), so it can look at the state a killed
writer left as well as at a settled one. Always: the database passes SQLite's own checks, no dataset appears twice,
every dataset row's files are in the store with the recorded size and sha256 and its version is in the history,
and nothing in `objects/` has a name other than its own sha256 (no half-written file is ever visible there).
Settled (no writer running, the store opened since the last one ended): besides, no object is unreferenced and no
staging area or stray file is left.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from omix_ingest.atlas.staging import CHUNK

DATABASE = "atlas.sqlite3"
# What the tool keeps in a data directory ("polly-pending": unconfirmed Polly ingestions, polly/pending.py).
OWN_FILES = frozenset({DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", "objects", "staging", "polly-pending"})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def referenced_objects(db: sqlite3.Connection) -> set[str]:
    """Every object a dataset row or a recorded version names: the store keeps each dataset's history."""
    rows = db.execute(
        "SELECT metadata_sha256, data_sha256 FROM datasets"
        " UNION SELECT metadata_sha256, data_sha256 FROM dataset_versions"
    )
    return {sha for row in rows for sha in row}


def stored_objects(objects: Path) -> tuple[dict[str, Path], list[Path]]:
    """(sha256 → path) of files named like objects, and every other file found under `objects/`."""
    found: dict[str, Path] = {}
    strays: list[Path] = []
    if not objects.is_dir():
        return found, strays
    for folder in sorted(objects.iterdir()):
        if not folder.is_dir() or len(folder.name) != 2:
            strays.append(folder)
            continue
        for path in sorted(folder.iterdir()):
            name = folder.name + path.name
            if path.is_file() and len(name) == 64 and all(c in "0123456789abcdef" for c in name):
                found[name] = path
            else:
                strays.append(path)
    return found, strays


def problems(root: Path, *, settled: bool = True) -> list[str]:
    """Every broken invariant of the atlas at `root`, as sentences; empty when it is sound."""
    db = sqlite3.connect(root / DATABASE, timeout=120)
    try:
        db.row_factory = sqlite3.Row
        found = [r[0] for r in db.execute("PRAGMA integrity_check") if r[0] != "ok"]
        found += [f"foreign key broken in {r[0]}" for r in db.execute("PRAGMA foreign_key_check")]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"datasets", "dataset_versions"} <= tables:  # killed while creating it: the next open finishes
            objects, strays = stored_objects(root / "objects")
            found += [f"{path.relative_to(root)} is in the store but is not an object" for path in strays]
            return found + [f"object {sha} is not referenced (no datasets table yet)" for sha in objects]
        found += [
            f"{r['atlas']}/{r['dataset_id']} appears {r['n']} times"
            for r in db.execute(
                "SELECT atlas, dataset_id, COUNT(*) AS n FROM datasets GROUP BY atlas, dataset_id HAVING n > 1"
            )
        ]
        objects, strays = stored_objects(root / "objects")
        for row in db.execute("SELECT * FROM datasets"):
            name = f"{row['atlas']}/{row['dataset_id']}"
            for sha in (row["metadata_sha256"], row["data_sha256"]):
                if sha not in objects:
                    found.append(f"{name}: object {sha} is missing")
            data = objects.get(row["data_sha256"])
            if data is not None and data.stat().st_size != row["data_size"]:
                found.append(f"{name}: data file has {data.stat().st_size} bytes, the row says {row['data_size']}")
            history = db.execute(
                "SELECT metadata_sha256, data_sha256 FROM dataset_versions"
                " WHERE atlas = ? AND dataset_id = ? AND version = ?",
                (row["atlas"], row["dataset_id"], row["version"]),
            ).fetchone()
            if history is None or tuple(history) != (row["metadata_sha256"], row["data_sha256"]):
                found.append(f"{name}: version {row['version']} is not in the history as stored")
        found += [f"object {sha} holds other bytes" for sha, path in objects.items() if _sha256(path) != sha]
        found += [f"{path.relative_to(root)} is in the store but is not an object" for path in strays]
        if settled:
            found += [f"object {sha} is not referenced" for sha in sorted(set(objects) - referenced_objects(db))]
            staging = root / "staging"
            if staging.is_dir():
                found += [f"{p.relative_to(root)} is left over" for p in sorted(staging.iterdir())]
            found += [f"{p.name} is not the atlas's" for p in sorted(root.iterdir()) if p.name not in OWN_FILES]
        return found
    finally:
        db.close()
