"""Dataset pairing and metadata-data consistency (OMX601-OMX612): cross-file checks on the facts validators report.

A dataset is one `<dataset_id>.json` metadata file plus one `<dataset_id>.<ext>` data file. These checks run when the
user names a metadata folder and/or a data folder (dataset mode), after every file has been validated on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validators.core.model import Finding, Location, Rule, Severity
from validators.core.naming import ACCEPTED_DATA_EXTENSIONS, dataset_id_of

METADATA_WITHOUT_DATA = Rule(
    "OMX601",
    "metadata-without-data-file",
    Severity.ERROR,
    "Metadata file without a data file",
    "no data file for dataset {dataset_id!r} in {folder}",
    "Ingestion needs both halves of a dataset. A metadata file whose data file is missing would put a dataset in "
    "the atlas that has nothing behind it (the SDK sent such metadata alone).",
    bad="metadata/GSE1_GPL1.json, data/ (empty)",
    good="metadata/GSE1_GPL1.json, data/GSE1_GPL1.gct",
)
DATA_WITHOUT_METADATA = Rule(
    "OMX602",
    "data-file-without-metadata",
    Severity.ERROR,
    "Data file without a metadata file",
    "no metadata file {dataset_id}.json for this data file",
    "Every data file needs its dataset-level metadata, named after the same dataset id.",
    bad="data/GSE1_GPL1.gct, metadata/ (no GSE1_GPL1.json)",
    good="data/GSE1_GPL1.gct, metadata/GSE1_GPL1.json",
)
SEVERAL_DATA_FILES = Rule(
    "OMX603",
    "several-data-files",
    Severity.ERROR,
    "Several data files for one dataset",
    "dataset {dataset_id!r} has several data files: {files}",
    "A dataset has exactly one data file; with two, ingestion would pick one arbitrarily (or upload both under one "
    "id). Keep one, or give the other its own dataset id and metadata file.",
    bad="data/GSE1_GPL1.gct and data/GSE1_GPL1.h5ad",
    good="data/GSE1_GPL1.gct",
)
EXTENSION_NOT_ACCEPTED = Rule(
    "OMX604",
    "extension-not-accepted",
    Severity.ERROR,
    "Data file type Polly does not accept",
    "{name!r} does not end in an extension Polly accepts ({accepted})",
    "Polly ingests only known data file types, and compares extensions case-sensitively: `.GCT` is rejected.",
    bad="data/GSE1_GPL1.txt, data/GSE1_GPL1.GCT",
    good="data/GSE1_GPL1.gct",
)
SAMPLE_COUNT_MISMATCH = Rule(
    "OMX610",
    "sample-count-mismatch",
    Severity.ERROR,
    "Metadata and data disagree on the number of samples",
    "metadata says {field} = {declared}, but {data_file} has {actual} {unit}",
    "The dataset-level count must describe the data file that travels with it; a mismatch usually means the wrong "
    "data file, a truncated export, or a stale metadata file.",
    bad='"total_num_samples": 380 with a GCT of 372 sample columns',
    good='"total_num_samples": 372 with a GCT of 372 sample columns',
)
DATA_TYPE_MISMATCH = Rule(
    "OMX611",
    "data-type-file-mismatch",
    Severity.ERROR,
    "Data type does not fit the data file's format",
    "data type {data_type!r} does not go with a {file_format} file; expected {expected}",
    "Each data type is ingested from particular formats (single cell from h5ad, transcriptomics from GCT, "
    "mutations from VCF). A mismatch is usually a copied metadata file or the wrong data file.",
    bad='"kw_data_type": "Single cell" with GSE1_GPL1.gct',
    good='"kw_data_type": "Single cell" with GSE1_GPL1.h5ad',
)
STORED_DATA_UNSEEN = Rule(
    "OMX612",
    "update-changes-unseen-data-facts",
    Severity.ERROR,
    "Metadata-only update changes what describes a data file nobody can compare",
    "{field} changes from {stored} to {new}, but the stored data file cannot be read back to check it",
    "A metadata-only update is checked against the data file already in the atlas. Where the atlas does not serve "
    "its data files (Polly), the sample count, cell count and data type cannot be compared with the file, so they "
    "may not change on their own: the stored metadata was checked against that file, the new claim was not.",
    bad='update metadata only: "total_num_cells": 999 (stored: 50)',
    good="update metadata and data file together, or keep the stored count",
)

RULES = (
    METADATA_WITHOUT_DATA,
    DATA_WITHOUT_METADATA,
    SEVERAL_DATA_FILES,
    EXTENSION_NOT_ACCEPTED,
    SAMPLE_COUNT_MISMATCH,
    DATA_TYPE_MISMATCH,
    STORED_DATA_UNSEEN,
)


@dataclass(frozen=True)
class DatasetFile:
    """One file of a dataset-mode run: its role ("metadata" or "data"), name and what its validators reported."""

    path: str
    role: str
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    @property
    def folder(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[0] if "/" in self.path else "."


INDEX_SUFFIXES = (".tbi", ".csi")


def accepted_extension(name: str) -> bool:
    return name.endswith(ACCEPTED_DATA_EXTENSIONS)


def _extension_fix(name: str) -> str | None:
    lowered = name.lower()
    if lowered.endswith(".vcf.gz"):
        return f"rename it to {name[:-3]}.bgz: Polly takes BGZF-compressed VCF as .vcf.bgz"
    if lowered.endswith(INDEX_SUFFIXES):
        return "leave index files out of the data folder: Polly does not ingest them"
    if lowered.endswith(ACCEPTED_DATA_EXTENSIONS):
        return f"write the extension in lower case: {name[: name.rfind('.')]}{name[name.rfind('.') :].lower()}"
    return None


def _count_checks(meta: DatasetFile, data: DatasetFile) -> list[Finding]:
    findings = []
    pairs = (("sample_count", "n_samples", "samples"), ("cell_count", "n_obs", "cells (obs rows)"))
    for declared_fact, actual_fact, unit in pairs:
        declared = meta.facts.get(declared_fact)
        actual = data.facts.get(actual_fact)
        if not isinstance(declared, dict) or actual is None:
            continue
        value = declared["value"]
        if isinstance(value, int) and not isinstance(value, bool) and value != actual:
            findings.append(
                SAMPLE_COUNT_MISMATCH.finding(
                    meta.path,
                    Location(pointer=declared["pointer"]),
                    field=declared["field"],
                    declared=value,
                    data_file=data.name,
                    actual=actual,
                    unit=unit,
                    fix=f'write "{declared["field"]}": {actual} if the data file is right',
                )
            )
    return findings


def _format_check(meta: DatasetFile, data: DatasetFile, formats: Mapping[str, tuple[str, ...]]) -> list[Finding]:
    declared = meta.facts.get("data_type")
    file_format = data.facts.get("format")
    if not isinstance(declared, dict) or not file_format:
        return []
    expected = formats.get(declared["value"])
    if expected is None or file_format in expected:
        return []
    return [
        DATA_TYPE_MISMATCH.finding(
            meta.path,
            Location(pointer=declared["pointer"]),
            data_type=declared["value"],
            file_format=file_format,
            expected=" or ".join(expected),
        )
    ]


def check_datasets(
    files: Sequence[DatasetFile],
    formats: Mapping[str, tuple[str, ...]],
    *,
    metadata_folders: Sequence[str] = (),
    data_folders: Sequence[str] = (),
) -> list[Finding]:
    """Pair metadata and data files by dataset id and compare what each says about the other. A missing partner
    is only reported when the folder it should be in was given."""
    findings: list[Finding] = []
    metadata: dict[str, list[DatasetFile]] = {}
    data: dict[str, list[DatasetFile]] = {}
    for file in files:
        dataset_id = dataset_id_of(file.name)
        if file.role == "metadata":
            metadata.setdefault(dataset_id, []).append(file)
        elif file.role == "data":
            if not accepted_extension(file.name):
                accepted = " ".join(ACCEPTED_DATA_EXTENSIONS)
                findings.append(
                    EXTENSION_NOT_ACCEPTED.finding(
                        file.path, name=file.name, accepted=accepted, fix=_extension_fix(file.name)
                    )
                )
            if file.name.lower().endswith(INDEX_SUFFIXES):
                continue  # an index travels with its data file: no dataset of its own, no second data file
            data.setdefault(dataset_id, []).append(file)
    for dataset_id, metas in metadata.items():
        partners = data.get(dataset_id, [])
        if not partners and data_folders:
            folder = ", ".join(data_folders)
            findings.extend(METADATA_WITHOUT_DATA.finding(m.path, dataset_id=dataset_id, folder=folder) for m in metas)
        if len(partners) > 1:
            names = ", ".join(p.name for p in partners)
            findings.extend(SEVERAL_DATA_FILES.finding(p.path, dataset_id=dataset_id, files=names) for p in partners)
        if len(partners) == 1 and len(metas) == 1:
            findings += _count_checks(metas[0], partners[0])
            findings += _format_check(metas[0], partners[0], formats)
    if metadata_folders:
        for dataset_id, partners in data.items():
            if dataset_id not in metadata:
                findings.extend(DATA_WITHOUT_METADATA.finding(p.path, dataset_id=dataset_id) for p in partners)
    return findings


def check_against_stored_metadata(new: DatasetFile, stored: DatasetFile) -> list[Finding]:
    """For a metadata-only update whose stored data file cannot be read: the facts that describe the data file
    (counts, data type) must not change from what the stored metadata, checked against that file, says."""
    findings = []
    for fact in ("sample_count", "cell_count", "data_type"):
        claim, before = new.facts.get(fact), stored.facts.get(fact)
        if not isinstance(claim, dict) or not isinstance(before, dict) or claim["value"] == before["value"]:
            continue
        findings.append(
            STORED_DATA_UNSEEN.finding(
                new.path,
                Location(pointer=claim["pointer"]),
                field=claim["field"],
                stored=repr(before["value"]),
                new=repr(claim["value"]),
                fix="send the data file with the metadata, or keep the stored value",
            )
        )
    return findings
