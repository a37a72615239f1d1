"""Dataset identity (OMX115-OMX118): every metadata file names exactly one dataset, the same as its file name, and
no two files claim the same dataset."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from validators.core.model import Finding, Location, Rule, Severity
from validators.core.naming import DATASET_ID_PATTERN

MISSING_DATASET_ID = Rule(
    "OMX115",
    "missing-dataset-id",
    Severity.ERROR,
    "dataset_id missing",
    "the file has no dataset_id",
    "`dataset_id` identifies the dataset in the atlas and pairs the metadata with its data file. It must be present "
    "and equal to the file's name without extension.",
    bad='GSE1_GPL1.json: {"description": "..."}',
    good='GSE1_GPL1.json: {"dataset_id": "GSE1_GPL1", "description": "..."}',
)
INVALID_DATASET_ID = Rule(
    "OMX116",
    "invalid-dataset-id",
    Severity.ERROR,
    "dataset_id has characters Polly does not accept",
    "dataset_id {value!r} must match [0-9A-Za-z_-]+",
    "Dataset ids become file names and search keys; spaces, dots, slashes and other punctuation break pairing, "
    "paths and queries. Use letters, digits, `_` and `-` only.",
    bad='"dataset_id": "GSE1 GPL1"',
    good='"dataset_id": "GSE1_GPL1"',
)
ID_STEM_MISMATCH = Rule(
    "OMX117",
    "dataset-id-file-name-mismatch",
    Severity.ERROR,
    "dataset_id differs from the file name",
    "dataset_id {value!r} differs from the file name {stem!r}",
    "Metadata and data files are paired by file name; ingestion files the metadata under its `dataset_id`. When "
    "the two differ, the dataset is filed under one id and its data under another. Rename the file or fix the id.",
    bad='GSE1_GPL1.json: {"dataset_id": "GSE1_GPL2"}',
    good='GSE1_GPL1.json: {"dataset_id": "GSE1_GPL1"}',
)
DUPLICATE_DATASET_ID = Rule(
    "OMX118",
    "duplicate-dataset-id",
    Severity.ERROR,
    "Two files claim the same dataset_id",
    "dataset_id {value!r} is also claimed by {others}",
    "Each dataset id may appear in one metadata file only; otherwise one ingestion overwrites the other. The "
    "finding is reported on every file involved.",
    bad='a/GSE1_GPL1.json and b/GSE1_GPL1.json both with "dataset_id": "GSE1_GPL1"',
    good="one file per dataset id",
)

RULES = (MISSING_DATASET_ID, INVALID_DATASET_ID, ID_STEM_MISMATCH, DUPLICATE_DATASET_ID)


def check_identity(doc: dict[str, Any], stem: str, display: str, locate: Callable[[str], Location]) -> list[Finding]:
    if "dataset_id" not in doc:
        return [MISSING_DATASET_ID.finding(display, fix=f'add "dataset_id": "{stem}"')]
    value = doc["dataset_id"]
    if not isinstance(value, str):
        return []  # a type problem, reported by template conformance
    if not DATASET_ID_PATTERN.match(value):
        return [INVALID_DATASET_ID.finding(display, locate("/dataset_id"), value=value)]
    if value != stem:
        return [
            ID_STEM_MISMATCH.finding(
                display, locate("/dataset_id"), value=value, stem=stem, fix=f'write "{stem}" or rename the file'
            )
        ]
    return []


def duplicate_dataset_ids(claims: Iterable[tuple[str, str, Location]]) -> list[Finding]:
    """OMX118 on each file of every id claimed more than once; `claims` are (dataset_id, file, location)."""
    by_id: dict[str, list[tuple[str, Location]]] = {}
    for dataset_id, file, where in claims:
        by_id.setdefault(dataset_id, []).append((file, where))
    findings = []
    for dataset_id, files in by_id.items():
        if len(files) < 2:
            continue
        for file, where in files:
            others = ", ".join(f for f, _ in files if f != file) or file
            findings.append(DUPLICATE_DATASET_ID.finding(file, where, value=dataset_id, others=others))
    return findings
