"""A compact, read-only index of one ontology version: labels, synonyms, deprecation, parents, in SQLite.

The offline ontologies ship as compressed JSON (1.2 million taxa for NCBITaxon); decompressing that on every run
would take seconds. The index is built once per ontology version, streamed (bounded memory), written to a
temporary file and renamed into place, so concurrent runs either see a finished index or build their own; it is
then opened read-only by every run and worker process.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validators.core.rulepack import fold

SCHEMA_VERSION = "4"  # bump when the tables change: old indexes are then rebuilt, never misread

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE terms (
    id TEXT PRIMARY KEY, label TEXT NOT NULL, folded TEXT NOT NULL, deprecated INTEGER NOT NULL,
    replaced_by TEXT, depth INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE synonyms (folded TEXT NOT NULL, id TEXT NOT NULL);
CREATE TABLE parents (id TEXT NOT NULL, parent TEXT NOT NULL);
CREATE TABLE label_lists (name TEXT PRIMARY KEY, data TEXT NOT NULL);
"""
_INDEXES = """
CREATE INDEX terms_folded ON terms (folded);
CREATE INDEX synonyms_folded ON synonyms (folded);
CREATE INDEX parents_id ON parents (id);
"""
BATCH = 20_000


@dataclass(frozen=True)
class Term:
    """One ontology term: its id (CURIE), preferred label, and what replaces it when deprecated."""

    id: str
    label: str
    deprecated: bool
    replaced_by: str | None
    depth: int  # number of ancestors: a more specific term is deeper


def build_index(entries: Iterable[tuple[str, Mapping[str, Any]]], target: Path, meta: Mapping[str, str]) -> None:
    """Write the index for (term id, term record) pairs as the offline source gives them, atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        with sqlite3.connect(partial) as db:
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _TABLES)
            current: list[str] = []  # labels of current terms, stored once as a block for "did you mean"
            terms: list[tuple[Any, ...]] = []
            synonyms: list[tuple[str, str]] = []
            parents: list[tuple[str, str]] = []
            for term_id, record in entries:
                label = str(record.get("label") or "")
                ancestors = record.get("ancestors") or {}
                replaced = record.get("replaced_by")
                if label and not record.get("deprecated"):
                    current.append(" ".join(label.split()))
                deprecated = bool(record.get("deprecated"))
                terms.append((term_id, label, _folded(label, deprecated), int(deprecated), replaced, len(ancestors)))
                synonyms.extend((fold(str(s)), term_id) for s in record.get("synonyms") or ())
                parents.extend((term_id, a) for a, distance in ancestors.items() if distance == 1)
                if len(terms) >= BATCH:
                    _flush(db, terms, synonyms, parents)
            _flush(db, terms, synonyms, parents)
            blocks = [("labels", "\n".join(current)), ("folded", "\n".join(fold(c) for c in current))]
            db.executemany("INSERT INTO label_lists VALUES (?, ?)", blocks)
            db.executemany("INSERT INTO meta VALUES (?, ?)", [*meta.items(), ("schema", SCHEMA_VERSION)])
            db.executescript(_INDEXES)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _folded(label: str, deprecated: bool) -> str:
    """The folded label a value is matched by; an obsolete term is found by the label it had in use, before the
    ontology prefixed it with "obsolete"."""
    folded = fold(label)
    return folded.removeprefix("obsolete ") if deprecated else folded


def _flush(db: sqlite3.Connection, terms: list[Any], synonyms: list[Any], parents: list[Any]) -> None:
    db.executemany("INSERT OR REPLACE INTO terms VALUES (?, ?, ?, ?, ?, ?)", terms)
    db.executemany("INSERT INTO synonyms VALUES (?, ?)", synonyms)
    db.executemany("INSERT INTO parents VALUES (?, ?)", parents)
    terms.clear()
    synonyms.clear()
    parents.clear()


def index_meta(path: Path) -> dict[str, str] | None:
    """The index's meta table, or None when the file is missing, unfinished or of another schema version."""
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return None
    return meta if meta.get("schema") == SCHEMA_VERSION else None


class OntologyIndex:
    """Read-only lookups in one built index. Connections are opened lazily, one per process, so the object can be
    pickled to worker processes; answers are remembered, as a folder repeats the same few terms."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._labels: tuple[list[str], list[str]] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name, self.path = state["name"], state["path"]
        self._db, self._pid, self._labels = None, 0, None

    def _query(self, sql: str, *args: Any) -> list[Any]:
        if self._db is None or self._pid != os.getpid():
            self._db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            self._pid = os.getpid()
        return self._db.execute(sql, args).fetchall()

    def _terms(self, where: str, *args: Any) -> list[Term]:
        rows = self._query(f"SELECT id, label, deprecated, replaced_by, depth FROM terms WHERE {where}", *args)
        return [Term(i, label, bool(d), r, depth) for i, label, d, r, depth in rows]

    def term(self, term_id: str) -> Term | None:
        found = self._terms("id = ?", term_id)
        return found[0] if found else None

    def by_label(self, text: str) -> list[Term]:
        """Terms whose preferred label is exactly `text`."""
        return self._terms("label = ? AND folded IN (?, ?)", text, fold(text), fold(text).removeprefix("obsolete "))

    def by_folded_label(self, text: str) -> list[Term]:
        """Terms whose label equals `text` but for case and spacing."""
        return self._terms("folded = ?", fold(text))

    def by_synonym(self, text: str) -> list[Term]:
        """Terms with `text` (case and spacing aside) as a synonym, most specific first."""
        found = self._terms("id IN (SELECT id FROM synonyms WHERE folded = ?)", fold(text))
        return sorted(found, key=lambda t: (t.deprecated, -t.depth, t.label))

    def is_under(self, term_id: str, ancestors: frozenset[str]) -> bool:
        """True when the term is one of `ancestors` or below one of them (following every parent)."""
        if term_id in ancestors:
            return True
        marks = ",".join("?" * len(ancestors))
        rows = self._query(
            "WITH RECURSIVE up(id) AS (SELECT ? UNION SELECT parent FROM parents JOIN up ON parents.id = up.id) "
            f"SELECT 1 FROM up WHERE id IN ({marks}) LIMIT 1",
            term_id,
            *sorted(ancestors),
        )
        return bool(rows)

    def labels(self) -> tuple[list[str], list[str]]:
        """(folded labels, labels) of every current term, loaded once per process, for "did you mean": string
        distance over the whole ontology, compared in folded form (no per-call case folding of a million
        labels)."""
        if self._labels is None:
            blocks = dict(self._query("SELECT name, data FROM label_lists"))
            self._labels = (blocks["folded"].split("\n"), blocks["labels"].split("\n"))
        return self._labels

    def count(self) -> int:
        return int(self._query("SELECT count(*) FROM terms")[0][0])


def stream_records(handle: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(term id, record) pairs of an ontology JSON object read incrementally from a binary stream."""
    import ijson

    yield from ijson.kvitems(handle, "", use_float=True)
