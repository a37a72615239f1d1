"""SARIF `fixes` for findings that carry edits: the same text splices `omix fix` applies, as replacements a
code-scanning UI can offer. Only files still holding the bytes that were validated get them (a file edited since
would receive replacements at the wrong places)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from omix_ingest.fix.json_text import EditError, Splice, splice_for
from omix_ingest.report.model import FileReport
from validators.core.jsonread import JsonDocument, parse_json_text
from validators.core.model import Finding
from validators.core.unreadable import ReadLimits, decode_utf8, line_column


def _document(file: FileReport) -> JsonDocument | None:
    """The file's parsed text, when it still has the validated bytes."""
    try:
        data = Path(file.path).read_bytes()
    except OSError:
        return None
    if file.sha256 is None or hashlib.sha256(data).hexdigest() != file.sha256:
        return None
    text, _ = decode_utf8(data, file.path)
    if text is None:
        return None
    document, _ = parse_json_text(text, file.path, ReadLimits())
    return document


def _region(text: str, splice: Splice) -> dict[str, int]:
    start_line, start_column = line_column(text, splice.start)
    end_line, end_column = line_column(text, splice.end)
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def _fix(finding: Finding, document: JsonDocument) -> dict[str, Any] | None:
    try:
        splices = [splice_for(document, op) for op in finding.edits]
    except EditError:
        return None
    replacements = [{"deletedRegion": _region(document.text, s), "insertedContent": {"text": s.text}} for s in splices]
    return {
        "description": {"text": finding.fix or f"fix {finding.code}"},
        "artifactChanges": [{"artifactLocation": {"uri": finding.file}, "replacements": replacements}],
    }


def sarif_fixes(file: FileReport) -> dict[int, dict[str, Any]]:
    """Index of the finding in `file.findings` → its SARIF fix object."""
    if not any(f.edits for f in file.findings):
        return {}
    document = _document(file)
    if document is None:
        return {}
    fixes = {}
    for index, finding in enumerate(file.findings):
        fix = _fix(finding, document) if finding.edits else None
        if fix is not None:
            fixes[index] = fix
    return fixes
