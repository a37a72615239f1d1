"""One line per finding, `path:line:col: CODE message`, the form editors and terminals turn into a link to the spot.

A finding without a line (an h5ad element, a missing field) is `path: CODE message (at POINTER)`. Each finding stays
on one line whatever its message holds: control characters are written as escapes.
"""

from __future__ import annotations

from omix_ingest.report.model import Report
from omix_ingest.report.reporters.text import TextReporter
from validators.core.model import Finding

# C0 controls and DEL as visible escapes: a message quoting a file's bytes cannot break the line or move the cursor.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F)} | {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _one_line(text: str) -> str:
    return text.translate(_CONTROLS)


def concise_line(finding: Finding) -> str:
    loc = finding.location
    path = _one_line(finding.file)
    message = _one_line(finding.message)
    if loc.line is not None:
        return f"{path}:{loc.line}:{loc.column or 1}: {finding.code} {message}"
    at = f" (at {_one_line(loc.pointer)})" if loc.pointer else ""
    return f"{path}: {finding.code} {message}{at}"


class ConciseReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color  # plain text: colour codes would break editors' link detection
        self.verbosity = verbosity

    def render(self, report: Report) -> str:
        """The findings (left out at -q, like the text format's), then the text format's summary line."""
        lines = [concise_line(f) for f in report.findings] if self.verbosity >= 0 else []
        lines.append(TextReporter(color=False).summary(report))
        return "\n".join(lines) + "\n"
