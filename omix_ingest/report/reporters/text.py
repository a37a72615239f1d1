"""Readable terminal output, grouped by file; colour only when asked (a terminal without NO_COLOR)."""

from __future__ import annotations

import click

from omix_ingest.report.model import Report
from validators.core.model import Finding, Severity

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class TextReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        self.color = color
        self.verbosity = verbosity

    def _style(self, text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if self.color else text  # type: ignore[arg-type]

    def _finding(self, finding: Finding) -> list[str]:
        loc = finding.location
        where = f"{loc.line}:{loc.column or 1}" if loc.line is not None else "-"
        severity = self._style(f"{finding.severity.label:<7}", fg=_COLORS[finding.severity])
        code = self._style(finding.code, bold=True)
        pointer = f"  {self._style(loc.pointer, dim=True)}" if loc.pointer else ""
        lines = [f"  {where:<8} {severity} {code}  {finding.message}{pointer}"]
        if finding.fix:
            lines.append(f"  {'':<8} {'':<7} {'':<6}  fix: {finding.fix}")
        return lines

    def render(self, report: Report) -> str:
        out = self.findings_lines(report) if self.verbosity >= 0 else []
        fixable = len(report.fixes())
        if fixable and self.verbosity >= 0:
            out.append(f"{_plural(fixable, 'finding')} fixable with `omix fix` (see the change first with --diff)")
        out.append(self.summary(report))
        return "\n".join(out) + "\n"

    def findings_lines(self, report: Report) -> list[str]:
        """The findings, grouped by file (clean files listed only when verbose)."""
        out: list[str] = []
        for file in report.files:
            if not file.findings:
                if self.verbosity > 0:
                    out.append(f"{file.path}: {self._style('ok', fg='green')}")
                continue
            out.append(self._style(file.path, bold=True, underline=True))
            for finding in file.findings:
                out.extend(self._finding(finding))
            out.append("")
        return out

    def summary(self, report: Report, *, verdict: bool = True) -> str:
        """One line: the verdict (left out where another part, such as the gate, gives the verdict) and the counts."""
        stats = report.stats()
        counts = stats["by_severity"]
        parts = [
            _plural(counts["error"], "error"),
            _plural(counts["warning"], "warning"),
            f"{counts['info']} info",
        ]
        line = (
            f"{_plural(stats['files'], 'file')} checked, {stats['files_failed']} failing "
            f"(fail-on {report.fail_on.label}); {', '.join(parts)}"
        )
        if verdict:
            word = self._style("FAILED", fg="red", bold=True) if report.failed else self._style("passed", fg="green")
            line = f"{word}: {line}"
        if stats["skipped"]:
            line += f"; {stats['skipped']} skipped (not dataset files)"
        return line
