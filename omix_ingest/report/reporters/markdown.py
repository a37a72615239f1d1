"""Markdown, for pull-request comments and job summaries: a verdict, counts, then a table per failing file."""

from __future__ import annotations

from omix_ingest.report.model import Report


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class MarkdownReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color
        self.verbosity = verbosity

    def render(self, report: Report) -> str:
        stats = report.stats()
        counts = stats["by_severity"]
        verdict = "❌ FAILED" if report.failed else "✅ passed"
        lines = [
            f"## omix-ingest: {verdict}",
            "",
            f"{stats['files']} files checked, {stats['files_failed']} failing (fail-on {report.fail_on.label}): "
            f"{counts['error']} errors, {counts['warning']} warnings, {counts['info']} info.",
            "",
        ]
        for file in report.files:
            if not file.findings:
                continue
            lines += [f"### `{file.path}`", "", "| where | severity | code | message | fix |", "|---|---|---|---|---|"]
            for f in file.findings:
                where = _cell(f.location.describe() or "-")
                lines.append(
                    f"| {where} | {f.severity.label} | [{f.code}](docs/rules/{f.code}.md) | "
                    f"{_cell(f.message)} | {_cell(f.fix or '')} |"
                )
            lines.append("")
        return "\n".join(lines)
