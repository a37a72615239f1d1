"""The gate: `add` and `update` reach the atlas only for datasets whose validation passes.

Per dataset it honours `__index__.validation_check` (`validate`, `scope`, `force_ingest`, at dataset and sample
level), hands over metadata and data together or neither, binds what it ingests to the bytes that were validated
(sha256), and records the run with one event per file. A signed report is reused only when the template and every
file still hash to what it says; otherwise the gate validates again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omix_ingest.atlas.store import LocalStore
from omix_ingest.backend import AtlasSchemas, Backend, IngestItem, Outcome
from omix_ingest.errors import UsageError
from omix_ingest.report.model import FileReport, Report
from omix_ingest.report.signing import verify
from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA, PlannedFile
from omix_ingest.run.runner import default_jobs, file_sha256
from omix_ingest.run.validation import SAMPLE_SCHEMA_FORMATS, ValidateOptions, build_plan, validate
from validators.core.model import Finding, Severity
from validators.core.naming import dataset_id_of
from validators.core.template import Template, load_template
from validators.metadata.index_block import validation_check

if TYPE_CHECKING:
    import pandas as pd

PRIORITIES = ("low", "medium", "high")
UPLOADED, NOT_UPLOADED = "File Uploaded", "File Not Uploaded"

# Problems that make a dataset impossible to ingest whatever its flags say: unreadable input, no JSON object,
# a wrong identity, a missing partner, a broken validator.
_BLOCKING = {"OMX101", "OMX115", "OMX116", "OMX117", "OMX118", "OMX601", "OMX602", "OMX603", "OMX604", "OMX990"}
_SAMPLE_LEVEL = {"OMX620", "OMX621", "OMX622"}


def _always_blocking(code: str) -> bool:
    return code in _BLOCKING or code.startswith("OMX9")


def _sample_level(finding: Finding, role: str) -> bool:
    return finding.code in _SAMPLE_LEVEL or (role == ROLE_DATA and finding.code.startswith("OMX2"))


@dataclass(frozen=True)
class FileStatus:
    """One row of the result table, polly-python's `File Name | Message` plus the id, a status and the reason."""

    dataset_id: str
    file_name: str
    status: str
    message: str
    reason: str = ""


@dataclass(frozen=True)
class GateResult:
    action: str
    atlas: str
    run_id: int | None
    rows: tuple[FileStatus, ...]
    report: Report | None = None
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> list[FileStatus]:
        return [r for r in self.rows if r.status == "refused"]

    @property
    def ok(self) -> bool:
        """Everything asked for went in, confirmed."""
        return all(r.status not in ("refused", "unconfirmed") for r in self.rows)

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        columns = ["dataset_id", "File Name", "Message", "status", "reason"]
        rows = [[r.dataset_id, r.file_name, r.message, r.status, r.reason] for r in self.rows]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "atlas": self.atlas,
            "run_id": self.run_id,
            "ok": self.ok,
            "notes": list(self.notes),
            "rows": [r.__dict__ for r in self.rows],
            "report": self.report.stats() if self.report else None,
        }


@dataclass
class _Dataset:
    dataset_id: str
    metadata: Path | None = None
    data: list[Path] = field(default_factory=list)
    findings: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, role)
    hashes: dict[Path, str] = field(default_factory=dict)
    refusal: str | None = None
    note: str = ""

    def files(self) -> list[Path]:
        return [p for p in (self.metadata, *self.data) if p is not None]


def atlas_templates(
    schemas: AtlasSchemas, source: str | None, data_type: str | None
) -> tuple[Template, dict[str, Template], str]:
    """(dataset-level template, sample-level templates by data format, rule pack name) of an atlas."""
    atlas = schemas.atlas
    template = load_template(schemas.dataset, name=f"{atlas}:files", source=source, data_type=data_type)
    samples: dict[str, Template] = {}
    for kind, document in schemas.samples.items():
        for data_format in SAMPLE_SCHEMA_FORMATS.get(kind, ()):
            samples[data_format] = load_template(document, name=f"{atlas}:{kind}", source=source, data_type=data_type)
    return template, samples, schemas.rules


class Gate:
    def __init__(self, backend: Backend, runs: LocalStore, *, jobs: int | None = None) -> None:
        self.backend, self.runs, self.jobs = backend, runs, jobs or default_jobs()

    # -------------------------------------------------------------------------------------------- templates

    def templates(
        self, atlas: str, source: str | None, data_type: str | None
    ) -> tuple[Template, dict[str, Template], str]:
        return atlas_templates(self.backend.schemas(atlas), source, data_type)

    # ------------------------------------------------------------------------------------------ add/update

    def ingest(
        self,
        atlas: str,
        *,
        mode: str,
        metadata_dir: Path | None,
        data_dir: Path | None,
        priority: str = "low",
        destination: str = "",
        validation: bool = True,
        report_path: Path | None = None,
        source: str | None = None,
        data_type: str | None = None,
    ) -> GateResult:
        if mode not in ("add", "update"):
            raise UsageError(f"mode must be add or update, not {mode!r}")
        if priority not in PRIORITIES:
            raise UsageError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
        if mode == "add" and (metadata_dir is None or data_dir is None):
            raise UsageError("add needs both a metadata folder and a data folder")
        if metadata_dir is None and data_dir is None:
            raise UsageError("update needs a metadata folder, a data folder, or both")
        for folder in (metadata_dir, data_dir):
            if folder is not None and not folder.is_dir():
                raise UsageError(f"{folder} is not a folder")
        options = self.options(atlas, metadata_dir, data_dir, source, data_type)
        plan = build_plan(options)  # one walk serves the report check, validation and pairing
        entries = plan.deduplicated()
        notes: list[str] = []
        report = self._reusable_report(report_path, options, entries, notes) if report_path else None
        if report is None:
            report = validate(options, plan=plan)
        datasets = self._datasets(entries, report)
        existing = self.backend.existing(atlas, sorted(datasets))
        for dataset in datasets.values():
            self._decide(dataset, mode=mode, validation=validation, present=dataset.dataset_id in existing)
        run_id = self.runs.start_run(atlas, mode, priority)
        items = [self._item(d) for d in datasets.values() if d.refusal is None]
        outcomes = (
            {
                o.dataset_id: o
                for o in self.backend.ingest(
                    atlas,
                    [i for i in items if i is not None],
                    mode=mode,
                    priority=priority,
                    destination=destination,
                    run_id=run_id,
                )
            }
            if any(i is not None for i in items)
            else {}
        )
        rows = self._rows(datasets, outcomes)
        self._finish(run_id, rows)
        return GateResult(mode, atlas, run_id, tuple(rows), report, tuple(notes))

    def options(
        self, atlas: str, metadata_dir: Path | None, data_dir: Path | None, source: str | None, data_type: str | None
    ) -> ValidateOptions:
        """How to validate datasets for this atlas: its templates and rule pack, each file's own scope."""
        template, samples, rules = self.templates(atlas, source, data_type)
        return ValidateOptions(
            metadata_dir=metadata_dir,
            data_dir=data_dir,
            template=template,
            sample_templates=samples,
            rule_pack=resolve_rule_pack(rules),
            jobs=self.jobs,
            scope=None,
        )

    def _reusable_report(
        self, path: Path, options: ValidateOptions, entries: list[PlannedFile], notes: list[str]
    ) -> Report | None:
        """A signed report whose template and file hashes match the current bytes; otherwise None (and why)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            notes.append(f"report {path} cannot be read ({exc}); validated again")
            return None
        if not isinstance(data, dict) or not verify(data):
            notes.append(f"report {path} is not signed by this installation (edited or foreign); validated again")
            return None
        report = Report.from_dict(data)
        template = options.template
        if report.template is None or template is None or report.template.sha256 != template.sha256:
            notes.append(f"report {path} was made against another template; validated again")
            return None
        if options.rule_pack is None or report.rule_pack != options.rule_pack.name:
            notes.append(f"report {path} was made with another rule pack; validated again")
            return None
        by_path = {f.path: f for f in report.files}
        for entry in entries:
            recorded = by_path.get(str(entry.path))
            if recorded is None or recorded.sha256 != file_sha256(entry.path)[0]:
                notes.append(f"{entry.path} changed (or is new) since report {path}; validated again")
                return None
        notes.append(f"reused signed report {path}")
        return report

    def _datasets(self, entries: list[PlannedFile], report: Report) -> dict[str, _Dataset]:
        files = {f.path: f for f in report.files}
        datasets: dict[str, _Dataset] = {}
        for entry in entries:
            dataset_id = dataset_id_of(entry.path.name)
            dataset = datasets.setdefault(dataset_id, _Dataset(dataset_id))
            if entry.role == ROLE_METADATA:
                if dataset.metadata is not None:
                    dataset.refusal = f"two metadata files for one dataset: {dataset.metadata.name}, {entry.path.name}"
                dataset.metadata = entry.path
            elif entry.role == ROLE_DATA:
                dataset.data.append(entry.path)
            file_report: FileReport | None = files.get(str(entry.path))
            if file_report is not None:
                dataset.findings += [(f, entry.role) for f in file_report.findings]
                if file_report.sha256:
                    dataset.hashes[entry.path] = file_report.sha256
        return datasets

    def _decide(self, dataset: _Dataset, *, mode: str, validation: bool, present: bool) -> None:
        if dataset.refusal is not None:
            return
        if mode == "add" and present:
            dataset.refusal = "already in the atlas; use update"
            return
        if mode == "update" and not present:
            dataset.refusal = "not in the atlas; use add"
            return
        if len(dataset.data) > 1:
            dataset.refusal = "several data files for one dataset: " + ", ".join(p.name for p in dataset.data)
            return
        doc = self._metadata_doc(dataset)
        checks = {level: validation_check(doc, level) for level in ("dataset", "sample")}
        blocking, ignored, forced = [], 0, []
        for finding, role in dataset.findings:
            if finding.severity < Severity.ERROR:
                continue
            if mode == "update" and finding.code in ("OMX601", "OMX602"):
                continue  # the partner is already in the atlas
            if _always_blocking(finding.code):
                blocking.append(finding)
                continue
            level = "sample" if _sample_level(finding, role) else "dataset"
            if level == "sample" and checks["sample"]["scope"] == "basic" and finding.code.startswith("OMX2"):
                continue  # basic scope: no value rules (the dataset level's are skipped by the validator itself)
            if not validation or not checks[level]["validate"]:
                ignored += 1
            elif checks[level]["force_ingest"]:
                forced.append(finding)
            else:
                blocking.append(finding)
        if blocking:
            codes = sorted({f.code for f in blocking})
            dataset.refusal = f"{len(blocking)} error(s): {', '.join(codes)}"
            return
        notes = []
        if forced:
            notes.append(
                f"ingested despite {len(forced)} error(s) ({', '.join(sorted({f.code for f in forced}))}) "
                "because force_ingest is true"
            )
        if ignored:
            reason = "validation=False" if not validation else "validate is false in __index__.validation_check"
            notes.append(f"{ignored} error(s) not checked ({reason})")
        dataset.note = "; ".join(notes)

    @staticmethod
    def _metadata_doc(dataset: _Dataset) -> dict[str, Any]:
        if dataset.metadata is None:
            return {}
        try:
            doc = json.loads(dataset.metadata.read_bytes())
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def _item(self, dataset: _Dataset) -> IngestItem | None:
        """What the backend receives; the metadata bytes are read once more and must hash as validated."""
        metadata = None
        if dataset.metadata is not None:
            try:
                metadata = dataset.metadata.read_bytes()
            except OSError as exc:
                dataset.refusal = f"metadata cannot be read any more: {exc.strerror or exc}"
                return None
            if hashlib.sha256(metadata).hexdigest() != dataset.hashes.get(dataset.metadata):
                dataset.refusal = "the metadata file changed after it was validated; validate it again"
                return None
        data = dataset.data[0] if dataset.data else None
        return IngestItem(
            dataset.dataset_id,
            metadata,
            dataset.hashes.get(dataset.metadata) if dataset.metadata else None,
            data,
            dataset.hashes.get(data) if data else None,
        )

    @staticmethod
    def _rows(datasets: dict[str, _Dataset], outcomes: dict[str, Outcome]) -> list[FileStatus]:
        rows = []
        for dataset_id in sorted(datasets):
            dataset = datasets[dataset_id]
            outcome = outcomes.get(dataset_id)
            if dataset.refusal is None and outcome is None:
                dataset.refusal = "not stored"
            for path in dataset.files():
                if dataset.refusal is not None:
                    rows.append(
                        FileStatus(
                            dataset_id,
                            path.name,
                            "refused",
                            f"{NOT_UPLOADED}, reupload after fixing it",
                            dataset.refusal,
                        )
                    )
                elif outcome is not None and outcome.uncertain:
                    rows.append(
                        FileStatus(dataset_id, path.name, "unconfirmed", "File Uploaded, Not Confirmed", outcome.detail)
                    )
                elif outcome is not None and not outcome.ok:
                    rows.append(FileStatus(dataset_id, path.name, "refused", NOT_UPLOADED, outcome.detail))
                elif outcome is not None and not outcome.changed:
                    rows.append(FileStatus(dataset_id, path.name, "unchanged", "File Unchanged", dataset.note))
                else:
                    rows.append(FileStatus(dataset_id, path.name, "ingested", UPLOADED, dataset.note))
        return rows

    def _finish(self, run_id: int, rows: Sequence[FileStatus]) -> None:
        refused = sum(1 for r in rows if r.status in ("refused", "unconfirmed"))
        summary = f"{len(rows) - refused} file(s) in, {refused} refused"
        with self.runs.transaction() as db:
            self.runs.record_events(
                db, run_id, [(r.dataset_id, r.file_name, r.status, r.message, r.reason) for r in rows]
            )
            self.runs.finish_run(db, run_id, "done" if not refused else "done-with-refusals", summary)

    # ------------------------------------------------------------------------------------------ delete/move

    def delete(self, atlas: str, dataset_ids: Sequence[str]) -> GateResult:
        if not dataset_ids:
            raise UsageError("name at least one dataset id to delete")
        run_id = self.runs.start_run(atlas, "delete", "medium")
        outcomes = self.backend.delete(atlas, list(dataset_ids), run_id=run_id)
        rows = [
            FileStatus(
                o.dataset_id,
                o.dataset_id,
                "deleted" if o.ok else "refused",
                "Request Accepted" if o.ok else "Deletion failed",
                o.detail,
            )
            for o in outcomes
        ]
        self._finish(run_id, rows)
        return GateResult("delete", atlas, run_id, tuple(rows))

    def move(self, source: str, destination: str, dataset_ids: Sequence[str], priority: str = "medium") -> GateResult:
        """Move datasets whose metadata the destination's template and rules accept; name the fields that differ."""
        from validators.core.context import ValidationContext
        from validators.core.jsonread import parse_json_text
        from validators.metadata.validator import check_document

        if priority not in PRIORITIES:
            raise UsageError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
        if not dataset_ids:
            raise UsageError("name at least one dataset id to move")
        template, _, rules = self.templates(destination, None, None)
        ctx = ValidationContext(template, resolve_rule_pack(rules))
        refused: dict[str, str] = {}
        for dataset_id in dataset_ids:
            metadata = self.backend.metadata(source, dataset_id)
            if metadata is None:
                continue  # the backend reports it as not found
            document, _ = parse_json_text(metadata.decode("utf-8"), dataset_id, ctx.limits)
            if document is None:
                refused[dataset_id] = "its stored metadata cannot be parsed"
                continue
            found = check_document(document, f"{dataset_id}.json", ctx)
            errors = [f for f in found if isinstance(f, Finding) and f.severity >= Severity.ERROR]
            if errors:
                fields = sorted({f.location.pointer.lstrip("/").split("/")[0] or f.code for f in errors})
                refused[dataset_id] = f"{destination!r} would reject it: {', '.join(fields)}"
        run_id = self.runs.start_run(source, "move", priority)
        movable = [d for d in dataset_ids if d not in refused]
        outcomes = self.backend.move(source, destination, movable, priority=priority, run_id=run_id) if movable else []
        rows = [FileStatus(d, d, "refused", "Not moved", reason) for d, reason in refused.items()]
        rows += [
            FileStatus(
                o.dataset_id, o.dataset_id, "moved" if o.ok else "refused", "Moved" if o.ok else "Not moved", o.detail
            )
            for o in outcomes
        ]
        self._finish(run_id, rows)
        return GateResult("move", f"{source} -> {destination}", run_id, tuple(rows))
