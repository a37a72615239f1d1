"""Which of the files a pre-commit hook is handed are datasets. A hook receives every staged file its pattern
matches; a project also commits its template, its lock file and its configuration, which are JSON but not dataset
metadata. These are left out (and named in the report's `skipped` list); the rest are checked, with metadata and
data files of one dataset paired as a --metadata/--data run pairs them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omix_ingest.run.config_file import PATH_KEYS, Config
from validators.core.naming import is_metadata_name

SNIFF_LIMIT = 8 * 1024 * 1024  # larger JSON files are datasets (a template or lock file is small)
CONFIG_NAMES = ("pyproject.toml", ".omix.toml")


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _is_not_a_dataset(document: Any) -> bool:
    """A lock file ({"version", "atlases"}) or a Polly schema document ({"data": {"attributes": {"schema"}}})."""
    if not isinstance(document, dict):
        return False
    if "atlases" in document and set(document) <= {"version", "atlases"}:
        return True
    data = document.get("data")
    attributes = data.get("attributes") if isinstance(data, dict) else None
    return isinstance(attributes, dict) and "schema" in attributes


def _not_dataset_json(path: Path) -> bool:
    if not is_metadata_name(path.name):
        return False
    try:
        if path.stat().st_size > SNIFF_LIMIT:
            return False
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False  # unreadable or broken JSON is the validator's to report
    return _is_not_a_dataset(document)


def select_dataset_files(paths: Iterable[Path], config: Config) -> tuple[list[Path], list[Path]]:
    """(files to check, files left out): the files the configuration names (template, sample template, rule
    pack), configuration files, lock files and schema documents are left out."""
    named = [Path(str(config.get(key))) for key in PATH_KEYS if config.get(key)]
    kept: list[Path] = []
    left_out: list[Path] = []
    for path in paths:
        configured = path.name in CONFIG_NAMES or any(_same(path, other) for other in named)
        (left_out if configured or _not_dataset_json(path) else kept).append(path)
    return kept, left_out
