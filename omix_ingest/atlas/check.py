"""Would the datasets already in an atlas still pass under its current, or a proposed, schema and rule pack?

Before a schema or pack change goes live, a curator needs to know which stored datasets it breaks. The check reads
each dataset's stored metadata through the backend (`Backend.metadata`, the same read the gate uses for stored
partners, so the local atlas and Polly's API behave alike), validates it exactly as the gate would (`file` scope:
each dataset's own `validation_check`), and changes nothing: no run is recorded, nothing is written. The result is
a normal Report whose files are the stored datasets, plus a summary grouped by field and code.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omix_ingest import __version__
from omix_ingest.backend import Backend
from omix_ingest.report.model import Report, _field_of
from omix_ingest.run.config import RunRequest, resolve_run_config
from omix_ingest.run.config_file import Config
from omix_ingest.run.validation import RunInputs, validate
from validators.core.model import Finding, Severity


@dataclass(frozen=True)
class FindingGroup:
    """One (field, code) and the datasets it fails."""

    field: str
    code: str
    severity: str
    message: str  # the first dataset's message, as an example
    datasets: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"datasets": list(self.datasets)}


@dataclass(frozen=True)
class AtlasCheck:
    atlas: str
    backend: str
    schema: str  # "current" or the proposed schema's file name
    report: Report  # files are `atlas/<atlas>/<dataset_id>.json`
    dataset_ids: tuple[str, ...]
    unreadable: tuple[str, ...] = ()  # listed, but the backend returned no metadata

    @property
    def failing(self) -> list[str]:
        return sorted(_dataset_of(f.path) for f in self.report.failing_files())

    def groups(self) -> list[FindingGroup]:
        """Failing findings grouped by field and code, the widest breakage first."""
        seen: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for finding in self.report.findings:
            if finding.severity >= self.report.fail_on:
                seen[(_field_of(finding), finding.code)].append(finding)
        groups = [
            FindingGroup(
                field,
                code,
                max(f.severity for f in found).label,
                found[0].message,
                tuple(sorted({_dataset_of(f.file) for f in found})),
            )
            for (field, code), found in seen.items()
        ]
        return sorted(groups, key=lambda g: (-len(g.datasets), g.field, g.code))

    def to_dict(self) -> dict[str, Any]:
        return {
            "atlas": self.atlas,
            "backend": self.backend,
            "schema": self.schema,
            "rule_pack": self.report.rule_pack,
            "datasets": len(self.dataset_ids),
            "passed": not self.failing,
            "failing": self.failing,
            "unreadable": list(self.unreadable),
            "groups": [g.to_dict() for g in self.groups()],
            "report": self.report.to_dict(),
        }


def _label(atlas: str, dataset_id: str) -> str:
    return f"atlas/{atlas}/{dataset_id}.json"


def _dataset_of(label: str) -> str:
    return label.rsplit("/", 1)[-1].removesuffix(".json")


def check_atlas(
    backend: Backend,
    atlas: str,
    *,
    schema: Mapping[str, Any] | None = None,
    schema_name: str = "current",
    rules: str | Path | None = None,
    source: str | None = None,
    data_type: str | None = None,
    config: Config | None = None,
) -> AtlasCheck:
    """Re-validate every dataset of `atlas`; `schema` (a parsed schema document) replaces the atlas's own
    dataset-level schema, `rules` its rule pack."""
    schemas = backend.schemas(atlas)
    if schema is not None:
        schemas = dataclasses.replace(schemas, dataset=dict(schema))
    request = RunRequest(rules=rules, source=source, data_type=data_type)
    run_config = resolve_run_config(request, config, atlas=schemas, default_scope="file")
    ids = sorted({str(d["dataset_id"]) for d in backend.datasets(atlas) if d.get("dataset_id")})
    unreadable: list[str] = []
    with tempfile.TemporaryDirectory(prefix="omix-atlas-check-") as folder:
        paths: list[Path] = []
        for dataset_id in ids:
            stored = backend.metadata(atlas, dataset_id)
            if stored is None:
                unreadable.append(dataset_id)
                continue
            path = Path(folder) / f"{dataset_id}.json"  # validators expect the file to be named by its dataset id
            path.write_bytes(stored)
            paths.append(path)
        report = validate(run_config, RunInputs(tuple(paths))) if paths else _empty(run_config.fail_on)
        report = _relabelled(report, {str(p): _label(atlas, p.stem) for p in paths})
    return AtlasCheck(atlas, backend.name, schema_name, report, tuple(ids), tuple(unreadable))


def _empty(fail_on: Severity) -> Report:
    return Report(version=__version__, files=(), fail_on=fail_on)


def _relabelled(report: Report, labels: Mapping[str, str]) -> Report:
    """The report with temporary paths replaced by where each dataset lives in the atlas."""

    def label(path: str) -> str:
        return labels.get(path, path)

    files = tuple(
        dataclasses.replace(
            f, path=label(f.path), findings=tuple(dataclasses.replace(x, file=label(x.file)) for x in f.findings)
        )
        for f in report.files
    )
    return dataclasses.replace(report, files=files, skipped=tuple(label(s) for s in report.skipped))


def render_check(check: AtlasCheck) -> str:
    """The text summary: counts, then each (field, code) group with the datasets it fails."""
    failing = check.failing
    lines = [
        f"atlas {check.atlas} ({check.backend}): {len(check.dataset_ids)} dataset(s) checked against the "
        f"{check.schema} schema, rule pack {check.report.rule_pack or 'none'}; {len(failing)} would fail"
    ]
    if check.unreadable:
        lines.append(f"no stored metadata for: {', '.join(check.unreadable)}")
    for group in check.groups():
        shown = ", ".join(group.datasets[:5]) + (
            f" and {len(group.datasets) - 5} more" if len(group.datasets) > 5 else ""
        )
        lines.append(f"  {group.field or '(file)'}  {group.code} {group.severity}  {len(group.datasets)}: {shown}")
        lines.append(f"      e.g. {group.message}")
    if failing:
        lines.append("would fail: " + ", ".join(failing))
    return "\n".join(lines)
