"""Schema documents fetched from Polly, cached on disk and revalidated with ETags, and lock files for offline use.

A cache entry is keyed by the API URL, the atlas and the schema type (the source/data-type choice is made after
loading, from the whole document). Entries younger than the TTL are used as they are; older ones are revalidated
(`If-None-Match`); when the server cannot be reached a cached copy is used with a warning. `--offline` never
touches the network, and a missing template then names the command that fetches it. A lock file (schema bodies and
their sha256) committed to a repository makes pre-commit and CI fully network-free.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omix_ingest.atomic import write_atomically
from omix_ingest.errors import UsageError
from omix_ingest.paths import cache_dir

if TYPE_CHECKING:
    from omix_ingest.polly.client import PollyClient

DEFAULT_TTL_SECONDS = 24 * 3600
LOCK_VERSION = 1


class TemplateCache:
    def __init__(
        self, root: Path | None = None, ttl: float = DEFAULT_TTL_SECONDS, lock: dict[str, Any] | None = None
    ) -> None:
        self.root = (root or cache_dir()) / "templates"
        self.ttl = ttl
        self.lock = lock or {}

    def _path(self, url: str, atlas: str, schema_type: str) -> Path:
        key = hashlib.sha256(f"{url}|{atlas}|{schema_type}".encode()).hexdigest()[:32]
        return self.root / f"{key}.json"

    def cached(self, url: str, atlas: str, schema_type: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self._path(url, atlas, schema_type).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return None

    def get(
        self,
        client: PollyClient,
        url: str,
        atlas: str,
        schema_type: str,
        *,
        offline: bool = False,
        optional: bool = False,
        revalidate: bool = False,
    ) -> dict[str, Any] | None:
        """The schema document: from the lock file, the fresh cache, or the server (revalidating the cache).
        `revalidate` (before a write): always asked of the server, with the cached ETag (a 304 costs no download),
        and a lock file that no longer matches what the server serves is an error, not a silent stale verdict."""
        locked = self.lock.get(atlas, {}).get(schema_type)
        if revalidate and not offline:
            entry = self.cached(url, atlas, schema_type)
            served = self._fetch(client, url, atlas, schema_type, entry, optional=optional, fallback=False)
            if locked is not None and served != locked["document"]:
                raise UsageError(
                    f"the lock file's {schema_type} schema for atlas {atlas!r} is not the one the atlas serves now; "
                    f"run `omix template lock` again and validate against it"
                )
            return served
        if locked is not None:
            return dict(locked["document"])
        entry = self.cached(url, atlas, schema_type)
        if offline:
            if entry is None:
                if optional:
                    return None
                raise UsageError(
                    f"no cached {schema_type} schema for atlas {atlas!r} and --offline was given; "
                    f"run `omix template pull --atlas {atlas}` (or `omix template lock`) first"
                )
            return dict(entry["document"])
        if entry is not None and time.time() - entry["fetched"] < self.ttl:
            return dict(entry["document"])
        return self._fetch(client, url, atlas, schema_type, entry, optional=optional, fallback=True)

    def _fetch(
        self,
        client: PollyClient,
        url: str,
        atlas: str,
        schema_type: str,
        entry: dict[str, Any] | None,
        *,
        optional: bool,
        fallback: bool,
    ) -> dict[str, Any] | None:
        """Ask the server (with the cached ETag) and cache the answer; `fallback`: an unreachable server leaves
        the cached copy in use, with a warning."""
        from omix_ingest.polly.client import PollyError, PollyUnreachable

        try:
            document, etag = client.schema(atlas, schema_type, entry.get("etag") if entry else None)
        except PollyUnreachable as exc:
            if entry is None or not fallback:
                raise
            print(f"omix: warning: {exc}; using the cached {schema_type} schema of {atlas!r}", file=sys.stderr)
            return dict(entry["document"])
        except PollyError as exc:
            if optional and exc.status == 404:
                return None
            raise
        if document is None and entry is not None:  # 304: still current
            document = entry["document"]
        elif document is not None:
            document = served_schema(document, atlas, schema_type)
        record = {
            "url": url,
            "atlas": atlas,
            "schema_type": schema_type,
            "etag": etag,
            "fetched": time.time(),
            "document": document,
        }
        write_atomically(self._path(url, atlas, schema_type), json.dumps(record).encode())
        return dict(document) if document is not None else None


def served_schema(document: Any, atlas: str, schema_type: str) -> dict[str, Any]:
    """A schema document from the server, checked for shape before it is used or cached: Polly's
    `data.attributes.schema` of source -> data type -> fields, every pair a template that loads. A malformed
    answer is a TemplateError (exit 2, one line), never a crash later and never a cache entry."""
    from validators.core.template import TemplateError, load_template

    where = f"the {schema_type} schema Polly served for atlas {atlas!r}"
    data = document.get("data") if isinstance(document, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    schema = attributes.get("schema") if isinstance(attributes, dict) else None
    if not isinstance(schema, dict) or not schema or not all(isinstance(v, dict) and v for v in schema.values()):
        raise TemplateError(
            f"{where} is not a schema document (no data.attributes.schema of source/data type "
            "entries); it was not used or cached"
        )
    try:
        for source, by_type in schema.items():
            for data_type in by_type:
                load_template(document, name=where, source=source, data_type=data_type)
    except TemplateError as exc:
        raise TemplateError(f"{exc}; it was not used or cached") from None
    return dict(document)


def lock_entry(document: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return {"sha256": hashlib.sha256(body).hexdigest(), "document": document}


def read_lock(path: Path) -> dict[str, Any]:
    """The atlases of a lock file, each checked against its recorded sha256."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"lock file {path} does not exist; create it with `omix template lock`") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"lock file {path} cannot be read: {exc}") from None
    atlases = data.get("atlases") if isinstance(data, dict) else None
    if not isinstance(atlases, dict):
        raise UsageError(f"lock file {path} has no atlases")
    for atlas, schemas in atlases.items():
        for schema_type, entry in schemas.items():
            if lock_entry(entry["document"])["sha256"] != entry.get("sha256"):
                raise UsageError(f"lock file {path}: {atlas}/{schema_type} does not match its sha256 (edited?)")
    return atlases


def write_lock(path: Path, atlases: dict[str, dict[str, dict[str, Any]]]) -> None:
    body = {
        "version": LOCK_VERSION,
        "atlases": {a: {t: lock_entry(d) for t, d in s.items()} for a, s in atlases.items()},
    }
    write_atomically(path, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())
