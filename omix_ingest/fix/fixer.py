"""Fixing metadata files: validate, apply the edits of every finding that has one, validate again, until nothing
fixable is left.

Findings are the validators' own (one implementation of each rule), under the run's selection, so a code the
curator ignores is never "fixed". Edits that target the same value, or a value inside another edited one, wait
for the next pass, which re-validates the fixed text; a pass that changes nothing ends the loop, so `omix fix` run
twice changes nothing the second time. Findings with a hint but no edit (an ambiguous synonym, an unknown term)
are listed and left alone.
"""

from __future__ import annotations

import codecs
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omix_ingest.atomic import write_atomically
from omix_ingest.errors import UsageError
from omix_ingest.fix.json_text import EditError, Splice, apply_splices, splice_for
from omix_ingest.run.config import RunConfig
from omix_ingest.run.plan import ROLE_DATA
from omix_ingest.run.validation import RunInputs, build_plan
from validators.core.context import ValidationContext
from validators.core.jsonread import JsonDocument, parse_json_text
from validators.core.model import Finding
from validators.core.naming import is_metadata_name
from validators.core.unreadable import decode_utf8, read_bytes
from validators.metadata.validator import check_document
from validators.registry import validation_context

MAX_PASSES = 5  # a fix may reveal another (9606 → "9606" → "Homo sapiens"); more than this is a bug, not a loop


@dataclass
class FileFix:
    """What fixing one file did: the text before and after, the findings fixed and those left for a person."""

    path: Path
    before: bytes
    after: bytes
    applied: list[Finding] = field(default_factory=list)
    left: list[Finding] = field(default_factory=list)
    problem: str | None = None  # why the file could not be fixed at all (unreadable, not JSON)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        """A unified diff of the change, as `git diff` would show it."""
        old = self.before.decode("utf-8", "replace").splitlines(keepends=True)
        new = self.after.decode("utf-8", "replace").splitlines(keepends=True)
        name = str(self.path)
        lines = difflib.unified_diff(old, new, f"a/{name}", f"b/{name}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def fix_context(config: RunConfig) -> ValidationContext:
    """Value rules always apply when fixing (a fix never depends on a file's own `validation_check`)."""
    return validation_context(
        config.template, config.rule_pack, config.limits, "advanced", config.sample_templates, config.ontologies
    )


def _findings(
    text: str, display: str, ctx: ValidationContext, config: RunConfig
) -> tuple[JsonDocument | None, list[Finding]]:
    document, problems = parse_json_text(text, display, ctx.limits)
    if document is None or not isinstance(document.value, dict):
        return None, problems
    found = [f for f in check_document(document, display, ctx) if isinstance(f, Finding)]
    return document, list(config.selection.keep(sorted(problems + found, key=Finding.sort_key)))


def _splices(document: JsonDocument, fixable: Iterable[Finding]) -> tuple[list[Splice], list[Finding]]:
    """Non-overlapping splices for this pass, and the findings they fix."""
    chosen: list[Splice] = []
    fixed: list[Finding] = []
    for finding in fixable:
        try:
            splices = [splice_for(document, op) for op in finding.edits]
        except EditError:
            continue  # the next pass validates again: the finding, if still there, stays listed
        if any((s.start < c.end and c.start < s.end) or s.start == c.start for s in splices for c in chosen):
            continue
        chosen += splices
        fixed.append(finding)
    return chosen, fixed


def fix_text(
    text: str, display: str, ctx: ValidationContext, config: RunConfig
) -> tuple[str, list[Finding], list[Finding]]:
    """(fixed text, findings fixed, findings left with a hint but no safe edit)."""
    applied: list[Finding] = []
    for _ in range(MAX_PASSES):
        document, found = _findings(text, display, ctx, config)
        fixable = [f for f in found if f.edits]
        if document is None or not fixable:
            return text, applied, [f for f in found if f.fix and not f.edits]
        splices, fixed = _splices(document, fixable)
        if not splices:
            break
        text = apply_splices(text, splices)
        applied += fixed
    _, found = _findings(text, display, ctx, config)
    return text, applied, [f for f in found if f.fix]


def fix_file(path: Path, ctx: ValidationContext, config: RunConfig) -> FileFix:
    """Fix one metadata file in memory; nothing is written."""
    display = str(path)
    data, problems = read_bytes(path, display, ctx.limits)
    if data is None:
        return FileFix(path, b"", b"", problem=problems[0].message if problems else "cannot be read")
    text, problems = decode_utf8(data, display)  # a UTF-8 BOM is skipped here and written back below
    if text is None:
        return FileFix(path, data, data, problem=problems[-1].message if problems else "is not UTF-8 text")
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    fixed, applied, left = fix_text(text, display, ctx, config)
    return FileFix(path, data, bom + fixed.encode("utf-8") if applied else data, applied, left)


def fix_files(paths: Sequence[Path], config: RunConfig, *, write: bool) -> list[FileFix]:
    """Fix every file; with `write`, changed files are replaced on disk."""
    ctx = fix_context(config)
    results = []
    for path in paths:
        result = fix_file(path, ctx, config)
        if write and result.changed:
            write_atomically(path, result.after, mode=path.stat().st_mode & 0o7777)
        results.append(result)
    return results


def metadata_files(inputs: RunInputs) -> list[Path]:
    """The metadata files among the inputs (folders walked as `omix validate` walks them)."""
    plan = build_plan(inputs)
    files = []
    for entry in plan.deduplicated():
        if "://" in str(entry.path):  # a URL input (s3://...): its objects cannot be rewritten in place
            raise UsageError(f"{entry.path}: only local files can be fixed")
        if entry.role != ROLE_DATA and is_metadata_name(entry.path.name):
            files.append(entry.path)
    return files


def fix_inputs(config: RunConfig, inputs: RunInputs, *, write: bool) -> list[FileFix]:
    files = metadata_files(inputs)
    if not files:
        raise UsageError("no metadata files to fix: give <dataset_id>.json files or folders of them")
    if config.template is None:
        raise UsageError("fixing metadata needs a template: pass --template FILE or --atlas NAME")
    return fix_files(files, config, write=write)
