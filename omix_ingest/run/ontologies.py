"""The offline ontologies a run checks curated fields against, resolved with the rest of its configuration.

Indexes are built here, before any worker starts, so that a first run builds each one once (and says so on
stderr), and a cache that cannot be written is a usage error rather than a crash inside a validator.
"""

from __future__ import annotations

import sqlite3
import sys

from omix_ingest.errors import UsageError
from omix_ingest.paths import ontology_dir
from validators.core.ontology_source import OntologyCatalog, OntologyRelease, offline_catalog
from validators.core.rulepack import RulePack


def used_ontologies(pack: RulePack | None) -> list[str]:
    """The ontologies the pack's fields name, in a stable order."""
    return sorted({rule.ontology for rule in (pack.fields if pack else ()) if rule.ontology})


def _announce(release: OntologyRelease) -> None:
    print(f"omix: indexing {release.name} {release.version} (once per version) ...", file=sys.stderr, flush=True)


def run_ontologies(pack: RulePack | None, *, build: bool) -> OntologyCatalog | None:
    """The catalog for a run whose pack names ontologies (None otherwise). With `build`, every index the pack
    needs exists afterwards."""
    names = used_ontologies(pack)
    if not names:
        return None
    catalog = offline_catalog(ontology_dir())
    if build:
        for name in names:
            try:
                catalog.index(name, announce=_announce)
            except (OSError, sqlite3.Error) as exc:
                raise UsageError(f"cannot build the {name} ontology index in {catalog.cache_root}: {exc}") from None
    return catalog
