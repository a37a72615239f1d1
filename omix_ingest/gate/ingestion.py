"""The gate's orchestration: `add` and `update` reach the atlas only for datasets whose validation passes.

It resolves the run configuration (flags, project file, atlas), validates (or reuses a signed report made under
the same configuration), asks `policy.decide` about each dataset, hands over metadata and data together or
neither, binds what it ingests to the bytes that were validated (sha256), and records the run with one event per
file. Delete and move live here too: they are the other calls that change an atlas.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omix_ingest.atlas.store import LocalStore, StoreError
from omix_ingest.backend import Backend, IngestItem, Outcome
from omix_ingest.errors import UsageError
from omix_ingest.gate.partners import stored_partner_findings
from omix_ingest.gate.paths import check_destination
from omix_ingest.gate.policy import DatasetCase, Verdict, decide
from omix_ingest.gate.result import NOT_UPLOADED, REUPLOAD, UPLOADED, FileStatus, GateResult
from omix_ingest.gate.reuse import reusable_report
from omix_ingest.report.model import FileReport, Report
from omix_ingest.run.config import RunConfig, RunRequest, resolve_run_config
from omix_ingest.run.config_file import Config
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA, PlannedFile
from omix_ingest.run.validation import RunInputs, build_plan, validate
from validators.core.model import Finding, Severity
from validators.core.naming import dataset_id_of, is_metadata_name
from validators.core.unreadable import special_file_kind
from validators.metadata.index_block import validation_check

PRIORITIES = ("low", "medium", "high")


@dataclass
class _Dataset:
    dataset_id: str
    metadata: Path | None = None
    data: list[Path] = field(default_factory=list)
    findings: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, role)
    hashes: dict[Path, str] = field(default_factory=dict)
    refusal: str | None = None
    verdict: Verdict | None = None

    def files(self) -> list[Path]:
        return [p for p in (self.metadata, *self.data) if p is not None]


class Gate:
    def __init__(
        self, backend: Backend, runs: LocalStore, *, jobs: int | None = None, config: Config | None = None
    ) -> None:
        """`config` is the project file (`[tool.omix]`), honoured as `omix validate` honours it."""
        self.backend, self.runs, self.jobs, self.config = backend, runs, jobs, config or Config()

    def run_config(self, atlas: str, request: RunRequest | None = None, *, revalidate: bool = False) -> RunConfig:
        """How datasets for this atlas are validated: its templates and rule pack, the project file, then the
        caller's settings; each file's own `validation_check` scope unless a scope is given. `revalidate`: the
        templates as the atlas holds them now (before a write), never a cached copy."""
        request = request or RunRequest()
        if request.jobs is None and self.jobs is not None:
            request = dataclasses.replace(request, jobs=self.jobs)
        schemas = self.backend.schemas(atlas, revalidate=revalidate)
        return resolve_run_config(request, self.config, atlas=schemas, default_scope="file")

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
        request: RunRequest | None = None,
    ) -> GateResult:
        self._check_arguments(mode, priority, metadata_dir, data_dir)
        destination = check_destination(destination)
        config = self.run_config(atlas, request, revalidate=True)
        inputs = RunInputs((), metadata_dir, data_dir)
        plan = build_plan(inputs)  # one walk serves the report check, validation and pairing
        entries = plan.deduplicated()
        notes: list[str] = []
        report: Report | None = None
        if validation:
            expected = config.describe(dataset_mode=plan.dataset_mode)
            report = reusable_report(report_path, expected, entries, notes) if report_path else None
            if report is None:
                report = validate(config, inputs, plan=plan, progress=True)
        else:
            notes.append("not validated: validation=False ingests what pairs, as polly-python does")
        datasets = self._datasets(entries, report, notes)
        existing = self.backend.existing(atlas, sorted(datasets))
        if report is not None and mode == "update":
            self._check_stored_partners(atlas, config, datasets, existing, report)
        for dataset in datasets.values():
            dataset.verdict = decide(self._case(dataset, mode, dataset.dataset_id in existing, report, config))
        run_id = self.runs.start_run(atlas, mode, priority)
        items = [
            item
            for d in datasets.values()
            if d.verdict and d.verdict.refusal is None
            if (item := self._item(d, report))
        ]
        outcomes = self._store(atlas, items, mode=mode, priority=priority, destination=destination, run_id=run_id)
        rows = self._rows(datasets, outcomes)
        notes += self._finish(run_id, rows)
        return GateResult(mode, atlas, run_id, tuple(rows), report, tuple(notes), validated=validation)

    @staticmethod
    def _check_arguments(mode: str, priority: str, metadata_dir: Path | None, data_dir: Path | None) -> None:
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

    def _store(
        self, atlas: str, items: list[IngestItem], *, mode: str, priority: str, destination: str, run_id: int
    ) -> dict[str, Outcome]:
        if not items:
            return {}
        stored = self.backend.ingest(atlas, items, mode=mode, priority=priority, destination=destination, run_id=run_id)
        return {o.dataset_id: o for o in stored}

    def _datasets(self, entries: list[PlannedFile], report: Report | None, notes: list[str]) -> dict[str, _Dataset]:
        files = {f.path: f for f in report.files} if report is not None else {}
        datasets: dict[str, _Dataset] = {}
        for entry in entries:
            if entry.role == ROLE_METADATA and not is_metadata_name(entry.path.name):
                notes.append(f"{entry.path.name} in the metadata folder is not a <dataset_id>.json file; left alone")
                continue
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

    def _check_stored_partners(
        self, atlas: str, config: RunConfig, datasets: dict[str, _Dataset], existing: Mapping[str, Any], report: Report
    ) -> None:
        """A one-sided update is checked against the side already stored, as the pair would be."""
        facts = {f.path: f.facts for f in report.files}
        for dataset in datasets.values():
            if dataset.dataset_id not in existing or (dataset.metadata is not None and dataset.data):
                continue
            dataset.findings += stored_partner_findings(
                self.backend,
                atlas,
                config,
                dataset.dataset_id,
                metadata=dataset.metadata,
                data=dataset.data,
                facts=facts,
            )

    def _case(
        self, dataset: _Dataset, mode: str, present: bool, report: Report | None, config: RunConfig
    ) -> DatasetCase:
        doc = self._metadata_doc(dataset)
        return DatasetCase(
            mode=mode,
            present=present,
            has_metadata=dataset.metadata is not None,
            data_files=tuple(p.name for p in dataset.data),
            findings=tuple(dataset.findings),
            checks={level: validation_check(doc, level) for level in ("dataset", "sample")},
            validated=report is not None,
            fail_on=config.fail_on,
            refusal=dataset.refusal,
        )

    @staticmethod
    def _metadata_doc(dataset: _Dataset) -> dict[str, Any]:
        if dataset.metadata is None or special_file_kind(dataset.metadata) is not None:
            return {}
        try:
            return _json_object(dataset.metadata.read_bytes())
        except OSError:
            return {}

    def _item(self, dataset: _Dataset, report: Report | None) -> IngestItem | None:
        """What the backend receives. The metadata is read once more and must hash as validated; without
        validation it must at least be a JSON object. The data file's hash binds the backend's copy or upload."""
        metadata = metadata_sha256 = None
        if dataset.metadata is not None:
            if special_file_kind(dataset.metadata) is not None:  # a FIFO would block the read forever
                return self._refuse(dataset, "the metadata file is not a regular file")
            try:
                metadata = dataset.metadata.read_bytes()
            except OSError as exc:
                return self._refuse(dataset, f"metadata cannot be read any more: {exc.strerror or exc}")
            metadata_sha256 = hashlib.sha256(metadata).hexdigest()
            if report is not None and metadata_sha256 != dataset.hashes.get(dataset.metadata):
                return self._refuse(dataset, "the metadata file changed after it was validated; validate it again")
            if report is None and not _json_object(metadata):
                return self._refuse(dataset, "the metadata file is not a JSON object with fields")
        data = dataset.data[0] if dataset.data else None
        data_sha256 = dataset.hashes.get(data) if data else None
        if data is not None and data_sha256 is None:
            from omix_ingest.run.runner import file_sha256

            data_sha256 = file_sha256(data)[0]
            if data_sha256 is None:
                return self._refuse(dataset, "the data file cannot be read")
        return IngestItem(dataset.dataset_id, metadata, metadata_sha256, data, data_sha256)

    @staticmethod
    def _refuse(dataset: _Dataset, reason: str) -> None:
        dataset.verdict = Verdict(reason)
        return None

    @staticmethod
    def _rows(datasets: dict[str, _Dataset], outcomes: dict[str, Outcome]) -> list[FileStatus]:
        rows = []
        for dataset_id in sorted(datasets):
            dataset = datasets[dataset_id]
            outcome = outcomes.get(dataset_id)
            verdict = dataset.verdict or Verdict("not decided")
            if verdict.refusal is None and outcome is None:
                verdict = Verdict("not stored")
            for path in dataset.files():
                rows.append(_row(dataset_id, path.name, verdict, outcome))
        return rows

    def _finish(self, run_id: int, rows: Sequence[FileStatus]) -> tuple[str, ...]:
        """Record the run's events and end. The atlas has changed already, so a run log that cannot be written
        (a full disk) is a note on the result, not an error that would hide what happened."""
        refused = sum(1 for r in rows if r.status in ("refused", "unconfirmed"))
        summary = f"{len(rows) - refused} file(s) in, {refused} refused"
        try:
            with self.runs.transaction() as db:
                self.runs.record_events(
                    db, run_id, [(r.dataset_id, r.file_name, r.status, r.message, r.reason) for r in rows]
                )
                self.runs.finish_run(db, run_id, "done" if not refused else "done-with-refusals", summary)
        except StoreError as exc:
            return (f"run {run_id} could not be recorded ({exc}); `omix status` will show it as interrupted",)
        return ()

    # ------------------------------------------------------------------------------------------ delete/move

    def delete(self, atlas: str, dataset_ids: Sequence[str]) -> GateResult:
        if not dataset_ids:
            raise UsageError("name at least one dataset id to delete")
        self.backend.schemas(atlas)  # an unknown atlas is a usage error before any run is recorded
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
        return GateResult("delete", atlas, run_id, tuple(rows), notes=self._finish(run_id, rows))

    def move(self, source: str, destination: str, dataset_ids: Sequence[str], priority: str = "medium") -> GateResult:
        """Move datasets whose metadata the destination's template and rules accept; name the fields that differ."""
        from validators.core.jsonread import parse_json_text
        from validators.metadata.validator import check_document
        from validators.registry import validation_context

        if priority not in PRIORITIES:
            raise UsageError(f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}")
        if not dataset_ids:
            raise UsageError("name at least one dataset id to move")
        self.backend.schemas(source)  # an unknown source is a usage error before any run is recorded
        config = self.run_config(destination, RunRequest(scope="advanced"), revalidate=True)
        ctx = validation_context(config.template, config.rule_pack, config.limits, ontologies=config.ontologies)
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
        return GateResult("move", f"{source} -> {destination}", run_id, tuple(rows), notes=self._finish(run_id, rows))


def _json_object(data: bytes) -> dict[str, Any]:
    """The document when `data` is a JSON object, else an empty dict."""
    try:
        doc = json.loads(data)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _row(dataset_id: str, name: str, verdict: Verdict, outcome: Outcome | None) -> FileStatus:
    if verdict.refusal is not None:
        message = REUPLOAD if verdict.because_of_findings else NOT_UPLOADED
        return FileStatus(dataset_id, name, "refused", message, verdict.refusal)
    if outcome is None:  # cannot happen: `_rows` turns "not refused, not stored" into a refusal
        return FileStatus(dataset_id, name, "refused", NOT_UPLOADED, "not stored")
    if outcome.uncertain:
        return FileStatus(dataset_id, name, "unconfirmed", "File Uploaded, Not Confirmed", outcome.detail)
    if not outcome.ok:
        return FileStatus(dataset_id, name, "refused", NOT_UPLOADED, outcome.detail)
    if not outcome.changed:
        return FileStatus(dataset_id, name, "unchanged", "File Unchanged", verdict.note)
    return FileStatus(dataset_id, name, "ingested", UPLOADED, verdict.note)
