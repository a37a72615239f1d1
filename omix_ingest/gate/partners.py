"""One-sided updates checked against the side already in the atlas.

A metadata-only update is compared with the stored data file (its sample count, cell count and format), and a
data-only update with the stored metadata, by the same pairing checks (OMX61x) that a full pair gets; otherwise an
update could say "999 cells, Proteomics" for a stored 50-cell h5ad. The stored metadata is read through the
backend (Polly serves it through its API); the stored data file is checked where the backend can hand it over
(the local atlas). Where it cannot (Polly serves metadata, not data files), the facts that describe the data file
(counts, data type) may not change from the stored metadata's, which was checked against that file (OMX612).
Findings are attached to the file being updated.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omix_ingest.backend import Backend
from omix_ingest.run.config import RunConfig
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA
from omix_ingest.run.runner import claiming, inspect_file
from validators.core.context import Fact, ValidationContext
from validators.core.jsonread import parse_json_text
from validators.core.model import Finding
from validators.datasets.pairing import DatasetFile, check_against_stored_metadata, check_datasets
from validators.metadata.validator import check_document
from validators.registry import load_validators, validation_context

# Only what compares the two sides: pairing codes about missing partners do not apply to a stored pair.
CONSISTENCY_CODES = ("OMX610", "OMX611")


def _context(config: RunConfig) -> ValidationContext:
    return validation_context(
        config.template, config.rule_pack, config.limits, "advanced", config.sample_templates, config.ontologies
    )


def _stored_metadata_facts(backend: Backend, atlas: str, dataset_id: str, ctx: ValidationContext) -> dict[str, Any]:
    stored = backend.metadata(atlas, dataset_id)
    if stored is None:
        return {}
    document, _ = parse_json_text(stored.decode("utf-8", "replace"), f"{dataset_id}.json", ctx.limits)
    if document is None:
        return {}
    return {f.name: f.value for f in check_document(document, f"{dataset_id}.json", ctx) if isinstance(f, Fact)}


def _stored_data_facts(
    backend: Backend, atlas: str, dataset_id: str, ctx: ValidationContext
) -> tuple[str, dict[str, Any]] | None:
    """(the stored data file's name, what its validator reports about it), where the backend can hand it over."""
    stored = backend.data_file(atlas, dataset_id)
    if stored is None:
        return None
    path, name = stored
    validators = [v for v in load_validators() if getattr(v, "kind", "data") == "data"]
    with tempfile.TemporaryDirectory(prefix="omix-partner-") as folder:
        named = Path(folder) / name  # validators recognise a file by its name; the store names files by hash
        named.symlink_to(path)
        report = inspect_file((named, claiming(validators, named, ROLE_DATA)), ctx, validators)
    return name, dict(report.facts)


def _compared(
    metadata: DatasetFile, data: DatasetFile, config: RunConfig, target: str, where: str
) -> list[tuple[Finding, str]]:
    formats = config.rule_pack.consistency.data_type_formats if config.rule_pack else {}
    found = check_datasets([metadata, data], formats)
    role = ROLE_METADATA if target == metadata.path else ROLE_DATA
    return [
        (dataclasses.replace(f, file=target, message=f"{f.message} ({where})"), role)
        for f in found
        if f.code.startswith(CONSISTENCY_CODES)
    ]


def stored_partner_findings(
    backend: Backend,
    atlas: str,
    config: RunConfig,
    dataset_id: str,
    *,
    metadata: Path | None,
    data: Sequence[Path],
    facts: Mapping[str, Mapping[str, Any]],
) -> list[tuple[Finding, str]]:
    """Findings for the updated side of `dataset_id` against its stored partner; `facts` are the new files' facts
    by path, as the validation report holds them."""
    ctx = _context(config)
    if metadata is not None and not data:
        new = DatasetFile(str(metadata), ROLE_METADATA, dict(facts.get(str(metadata), {})))
        stored = _stored_data_facts(backend, atlas, dataset_id, ctx)
        if stored is None:
            before = DatasetFile(
                f"{dataset_id}.json", ROLE_METADATA, _stored_metadata_facts(backend, atlas, dataset_id, ctx)
            )
            return [(f, ROLE_METADATA) for f in check_against_stored_metadata(new, before)]
        name, data_facts = stored
        return _compared(new, DatasetFile(name, ROLE_DATA, data_facts), config, str(metadata), f"stored {name}")
    if metadata is None and len(data) == 1:
        stored_facts = _stored_metadata_facts(backend, atlas, dataset_id, ctx)
        new_data = DatasetFile(str(data[0]), ROLE_DATA, dict(facts.get(str(data[0]), {})))
        stored_meta = DatasetFile(f"{dataset_id}.json", ROLE_METADATA, stored_facts)
        return _compared(stored_meta, new_data, config, str(data[0]), "metadata as stored in the atlas")
    return []
