"""The offline ontologies a run can check terms against: cellxgene-ontology-guide's versioned data files.

The package (the `ontology` extra) is optional. Without it a catalog is empty, the rule pack's own lists are all
there is, and the report says so. Which ontology versions the installed package ships is read through the package
itself once, then remembered beside the indexes, so a warm run does not import it.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validators.core.ontology_index import OntologyIndex, build_index, index_meta, stream_records

SOURCE_PACKAGE = "cellxgene-ontology-guide"
_MODULE = "cellxgene_ontology_guide"
# How each ontology writes its term ids: prefix and separator (Cellosaurus ids are CVCL_0030).
ID_FORMATS: Mapping[str, tuple[str, str]] = {
    "NCBITaxon": ("NCBITaxon", ":"),
    "UBERON": ("UBERON", ":"),
    "CL": ("CL", ":"),
    "MONDO": ("MONDO", ":"),
    "CVCL": ("CVCL", "_"),
    "CHEBI": ("CHEBI", ":"),
    "EFO": ("EFO", ":"),
    "PATO": ("PATO", ":"),
    "HANCESTRO": ("HANCESTRO", ":"),
    "HsapDv": ("HsapDv", ":"),
    "MmusDv": ("MmusDv", ":"),
}


@dataclass(frozen=True)
class OntologyRelease:
    name: str
    version: str
    data_file: Path


def _package_dir() -> Path | None:
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _read_releases(package: Path) -> tuple[str, dict[str, OntologyRelease]]:
    """(package version, ontology releases) as the installed package declares them for its latest schema."""
    import importlib.metadata

    from cellxgene_ontology_guide._constants import ONTOLOGY_FILENAME_SUFFIX
    from cellxgene_ontology_guide.supported_versions import CXGSchema

    schema = CXGSchema()
    releases = {}
    for name, info in schema.supported_ontologies.items():
        data_file = package / "data" / f"{name}-ontology-{info['version']}{ONTOLOGY_FILENAME_SUFFIX}"
        if name in ID_FORMATS and data_file.is_file():
            releases[name] = OntologyRelease(name, str(info["version"]), data_file)
    return importlib.metadata.version(SOURCE_PACKAGE), releases


class OntologyCatalog:
    """The ontologies available offline and their indexes (built on first use, once per version)."""

    def __init__(self, cache_root: Path, package_version: str | None, releases: Mapping[str, OntologyRelease]) -> None:
        self.cache_root = cache_root
        self.package_version = package_version
        self.releases = dict(releases)
        self._indexes: dict[str, OntologyIndex] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"cache_root": self.cache_root, "package_version": self.package_version, "releases": self.releases}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.cache_root, self.package_version = state["cache_root"], state["package_version"]
        self.releases, self._indexes = state["releases"], {}

    def describe(self, names: Iterable[str]) -> dict[str, Any]:
        """What terms were checked against, for the report's signed `run` block: None for an ontology the
        installed source lacks (its fields were checked against the rule pack's lists only)."""
        source = f"{SOURCE_PACKAGE} {self.package_version}" if self.package_version else None
        versions = {n: (self.releases[n].version if n in self.releases else None) for n in sorted(set(names))}
        return {"source": source, "versions": versions}

    def _index_path(self, release: OntologyRelease) -> Path:
        return self.cache_root / f"{release.name}-{release.version}-{self.package_version}.sqlite"

    def index(self, name: str, announce: Callable[[OntologyRelease], None] | None = None) -> OntologyIndex | None:
        """The index of an ontology, built now if this version has none yet (`announce` is told first); None when
        it is not installed."""
        release = self.releases.get(name)
        if release is None:
            return None
        if name not in self._indexes:
            path = self._index_path(release)
            if index_meta(path) is None:
                if announce is not None:
                    announce(release)
                self._build(release, path)
            self._indexes[name] = OntologyIndex(name, path)
        return self._indexes[name]

    def _build(self, release: OntologyRelease, path: Path) -> None:
        """Build under a lock file, so parallel runs and workers build an ontology once."""
        import fcntl

        import zstandard

        path.parent.mkdir(parents=True, exist_ok=True)
        with (path.parent / f".{release.name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if index_meta(path) is not None:
                return  # another process built it while this one waited
            with release.data_file.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as stream:
                meta = {"ontology": release.name, "version": release.version, "source": str(self.package_version)}
                build_index(stream_records(stream), path, meta)


def offline_catalog(cache_root: Path) -> OntologyCatalog:
    """The catalog of the installed offline source; empty when the `ontology` extra is not installed."""
    package = _package_dir()
    if package is None:
        return OntologyCatalog(cache_root, None, {})
    info = package / "data" / "ontology_info.json"
    try:
        stamp = f"{package}:{info.stat().st_mtime_ns}"
    except OSError:
        return OntologyCatalog(cache_root, None, {})
    remembered = cache_root / "releases.json"
    try:
        cached = json.loads(remembered.read_text(encoding="utf-8"))
        if cached.get("stamp") == stamp:
            releases = {n: OntologyRelease(n, v, Path(f)) for n, (v, f) in cached["releases"].items()}
            return OntologyCatalog(cache_root, cached["package_version"], releases)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    version, releases = _read_releases(package)
    record = {
        "stamp": stamp,
        "package_version": version,
        "releases": {n: [r.version, str(r.data_file)] for n, r in releases.items()},
    }
    try:
        cache_root.mkdir(parents=True, exist_ok=True)
        partial = remembered.with_name(f".releases.{os.getpid()}.json")
        partial.write_text(json.dumps(record), encoding="utf-8")
        partial.replace(remembered)
    except OSError:
        pass  # an unwritable cache only costs the next run this look-up again
    return OntologyCatalog(cache_root, version, releases)
