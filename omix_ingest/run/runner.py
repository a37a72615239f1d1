"""Running validators over a plan, in parallel across files, into one Report.

Each file is hashed (streamed) and handed to every validator that claims it. A validator that raises becomes an
OMX990 finding on that file: the run goes on and the file cannot pass. Cross-file checks run afterwards on the facts
the validators reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omix_ingest import __version__
from omix_ingest.report.model import FileReport, Report, TemplateInfo
from omix_ingest.run.config import RunConfig
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA, ROLE_PATH, Plan, PlannedFile
from omix_ingest.run.progress import Advance, ProgressBar, no_progress
from omix_ingest.run.remote import RemotePath, inspect_fetched
from omix_ingest.run.selection import Selection
from validators.core.context import DIGEST_FACT, SIZE_FACT, Fact, ValidationContext
from validators.core.kinds import unsupported
from validators.core.model import Finding, Location, Severity
from validators.core.unreadable import not_a_regular_file, special_file_kind
from validators.datasets.pairing import INDEX_SUFFIXES, DatasetFile, accepted_extension, check_datasets
from validators.metadata.identity import duplicate_dataset_ids
from validators.registry import VALIDATOR_CRASHED, Validator, validation_context, validator_kind

# Below this many files a worker pool costs more than it saves.
PARALLEL_THRESHOLD = 256


# Files up to this size are hashed in one read; larger ones are streamed (file_digest allocates a 256 KiB buffer
# per call, which costs more than hashing a small metadata file).
SMALL_FILE = 1 << 20


def file_sha256(path: Path) -> tuple[str | None, int | None]:
    """(sha256, size) of a regular file, streamed; (None, None) for anything else (never opens a FIFO)."""
    try:
        if special_file_kind(path) is not None:
            return None, None
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= SMALL_FILE:
                return hashlib.sha256(handle.read(size + 1)).hexdigest(), size
            return hashlib.file_digest(handle, "sha256").hexdigest(), size
    except OSError:
        return None, None  # the validator reports why the file cannot be read


def claiming(validators: Sequence[Validator], path: Path, role: str) -> tuple[int, ...]:
    """Indexes of the validators for a file: metadata validators never see files from a data folder, and the
    reverse."""
    wanted = {ROLE_METADATA: "metadata", ROLE_DATA: "data"}.get(role)
    return tuple(
        i for i, v in enumerate(validators) if (wanted is None or validator_kind(v) == wanted) and v.claims(path)
    )


Task = tuple[Path, tuple[int, ...]]  # a file and the indexes of the validators that claimed it


def inspect_file(task: Task, ctx: ValidationContext, validators: Sequence[Validator]) -> FileReport:
    path, chosen = task
    if isinstance(path, RemotePath):  # validated from a local copy; the report names the URL
        return inspect_fetched(path, lambda copy: inspect_file((copy, chosen), ctx, validators))
    special = not_a_regular_file(path, str(path))
    if special is not None:  # a FIFO or a device: no validator and no hashing may open it
        return FileReport(str(path), (), None, None, (special,), {})
    claimed = [validators[i] for i in chosen]
    findings: list[Finding] = []
    facts: dict[str, Any] = {}
    for validator in claimed:
        try:
            for item in validator.validate(path, ctx):
                if isinstance(item, Fact):
                    facts[item.name] = item.value
                else:
                    findings.append(item)
        except Exception as exc:  # reported as a finding, so a broken check cannot pass a file
            findings.append(
                VALIDATOR_CRASHED.finding(str(path), name=validator.name, error=f"{type(exc).__name__}: {exc}")
            )
    sha256, size = facts.pop(DIGEST_FACT, None), facts.pop(SIZE_FACT, None)
    if sha256 is None:
        sha256, size = file_sha256(path)
    findings.sort(key=Finding.sort_key)
    return FileReport(str(path), tuple(v.name for v in claimed), sha256, size, tuple(findings), facts)


def _inspect_serially(
    tasks: list[Task], ctx: ValidationContext, validators: Sequence[Validator], advance: Advance = no_progress
) -> list[FileReport]:
    reports = []
    for task in tasks:
        reports.append(inspect_file(task, ctx, validators))
        advance(1)
    return reports


# What each worker process checks with, set once when it starts: the context's compiled schemas and value
# checker (its memo) are then built once per worker, not once per chunk.
_worker_setup: tuple[ValidationContext, Sequence[Validator]] | None = None


def _start_worker(ctx: ValidationContext, validators: Sequence[Validator]) -> None:
    global _worker_setup
    _worker_setup = (ctx, validators)


def _inspect_chunk(tasks: list[Task]) -> list[FileReport]:
    assert _worker_setup is not None, "a worker inspects only after _start_worker"
    return _inspect_serially(tasks, *_worker_setup)


def _chunks(items: list[Task], count: int) -> list[list[Task]]:
    size = max(1, -(-len(items) // count))
    return [items[i : i + size] for i in range(0, len(items), size)]


def inspect_all(
    tasks: list[Task],
    ctx: ValidationContext,
    validators: Sequence[Validator],
    jobs: int,
    *,
    executor: str = "local",
    scheduler: str | None = None,
    advance: Advance = no_progress,
) -> list[FileReport]:
    """Every task's FileReport, in task order; `advance(n)` is told as files finish (for a progress bar)."""
    if executor == "dask":  # the same tasks on a Dask cluster (imported only when chosen)
        from omix_ingest.run.dask_executor import inspect_on_dask

        return inspect_on_dask(tasks, ctx, validators, scheduler=scheduler, workers=jobs)
    if jobs <= 1 or len(tasks) < PARALLEL_THRESHOLD:
        return _inspect_serially(tasks, ctx, validators, advance)
    import multiprocessing  # a pool only for large runs: a pre-commit run does not load it
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_start_worker,
        initargs=(ctx, validators),
    ) as pool:
        # A few chunks per worker balances load without paying per-file pickling.
        reports: list[FileReport] = []
        for chunk in pool.map(_inspect_chunk, _chunks(tasks, jobs * 4)):
            reports += chunk
            advance(len(chunk))
        return reports


def template_info(ctx: ValidationContext) -> TemplateInfo | None:
    t = ctx.template
    if t is None:
        return None
    return TemplateInfo(
        t.template_id, t.sha256, t.source, t.data_type, t.repo_id, {f.original_name: f.name for f in t.fields}
    )


def _cross_file_findings(
    plan: Plan, entries: list[PlannedFile], reports: list[FileReport], ctx: ValidationContext
) -> dict[str, list[Finding]]:
    """Findings that no single validator can see: the plan's own, duplicate dataset ids, and (for a metadata and
    a data folder) pairing and metadata-data consistency. Keyed by file."""
    extra: dict[str, list[Finding]] = {}
    for finding in plan.findings:
        extra.setdefault(finding.file, []).append(finding)
    claims = [(r.facts["dataset_id"], r.path, Location("/dataset_id")) for r in reports if "dataset_id" in r.facts]
    for finding in duplicate_dataset_ids(claims):
        extra.setdefault(finding.file, []).append(finding)
    if plan.dataset_mode:
        roles = {str(e.path): e.role for e in entries}
        members = [
            DatasetFile(r.path, roles[r.path], r.facts) for r in reports if roles.get(r.path, ROLE_PATH) != ROLE_PATH
        ]
        formats = ctx.rule_pack.consistency.data_type_formats if ctx.rule_pack else {}
        for finding in check_datasets(
            members, formats, metadata_folders=plan.metadata_folders, data_folders=plan.data_folders
        ):
            extra.setdefault(finding.file, []).append(finding)
    return extra


def _merge(
    reports: list[FileReport],
    extra: dict[str, list[Finding]],
    selection: Selection,
    severities: Mapping[str, Severity],
) -> list[FileReport]:
    """Each file's own findings plus its cross-file ones, at the rule pack's severities, sorted, with the selection
    applied."""
    by_path = {r.path: r for r in reports}
    for path in extra:
        if path not in by_path:
            by_path[path] = FileReport(path, (), None, None)
    files = []
    for path, report in by_path.items():
        more = extra.get(path)
        overridden = bool(severities) and any(f.code in severities for f in report.findings)
        if not more and not overridden and (not report.findings or selection.is_empty):
            files.append(report)  # nothing to merge or filter: the common, clean case
            continue
        merged = sorted(_at_severity([*report.findings, *(more or [])], severities), key=Finding.sort_key)
        kept = selection.keep(merged)
        files.append(FileReport(report.path, report.validators, report.sha256, report.size, kept, report.facts))
    return files


def _at_severity(findings: list[Finding], severities: Mapping[str, Severity]) -> list[Finding]:
    return [dataclasses.replace(f, severity=severities[f.code]) if f.code in severities else f for f in findings]


def _unchecked(entry: PlannedFile) -> Finding | None:
    """OMX914 for a file that must be checked and that no validator can: an error for a file named on the command
    line; in a data folder a warning for a kind Polly ingests as it is (.csv, .tsv ...), while names Polly refuses
    are OMX604's and index files travel with their data file."""
    if entry.explicit and entry.role == ROLE_PATH:
        return unsupported(entry.path, str(entry.path))
    name = entry.path.name.lower()
    if entry.role == ROLE_DATA and accepted_extension(name) and not name.endswith(INDEX_SUFFIXES):
        return unsupported(entry.path, str(entry.path), severity=Severity.WARNING)
    return None


def run_validation(plan: Plan, config: RunConfig, validators: Sequence[Validator], *, progress: bool = False) -> Report:
    """The report for a plan; `progress` draws a bar where a person watches a long run (see `progress`)."""
    ctx = validation_context(
        config.template,
        config.rule_pack,
        config.limits,
        config.forced_scope,
        config.sample_templates,
        ontologies=config.ontologies,
    )
    # Files named on the command line or in a data folder are always inspected: when no validator checks their
    # format, that is a finding (OMX914). Unclaimed files met while walking a plain folder (a README) are skipped.
    entries = plan.deduplicated()
    must_check: list[tuple[PlannedFile, tuple[int, ...]]] = []
    skipped = list(plan.left_out)
    for entry in entries:
        claims = claiming(validators, entry.path, entry.role)
        if claims or entry.explicit or entry.role == ROLE_DATA:
            must_check.append((entry, claims))
        else:
            skipped.append(str(entry.path))
    tasks = [(e.path, claims) for e, claims in must_check]
    with ProgressBar(len(tasks), "checking files", enabled=progress and config.executor == "local") as advance:
        reports = inspect_all(
            tasks, ctx, validators, config.jobs, executor=config.executor, scheduler=config.scheduler, advance=advance
        )
    extra = _cross_file_findings(plan, entries, reports, ctx)
    for entry, claims in must_check:
        special = not claims and special_file_kind(entry.path) is not None  # its OMX909 already says why
        finding = None if claims or special else _unchecked(entry)
        if finding is not None:
            extra.setdefault(finding.file, []).append(finding)
    severities = {
        code: Severity.parse(label) for code, label in (ctx.rule_pack.severities if ctx.rule_pack else {}).items()
    }
    files = _merge(reports, extra, config.selection, severities)
    return Report(
        version=__version__,
        files=tuple(files),
        template=template_info(ctx),
        rule_pack=ctx.rule_pack.name if ctx.rule_pack else None,
        fail_on=config.fail_on,
        skipped=tuple(skipped),
        run=config.describe(dataset_mode=plan.dataset_mode),
    )
