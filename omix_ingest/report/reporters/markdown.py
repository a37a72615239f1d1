"""Markdown, for pull-request comments and job summaries: a verdict, counts, then a table per failing file.

Rule codes link to the docs site (`docs_url`), never to a path relative to the repository: a comment or job summary
is read far from the repository, and in a user's repository `docs/rules/` does not exist."""

from __future__ import annotations

from omix_ingest.docs import rule_links
from omix_ingest.report.model import Report
from omix_ingest.run.config_file import DEFAULT_DOCS_URL


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class MarkdownReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0, docs_url: str = DEFAULT_DOCS_URL) -> None:
        del color
        self.verbosity = verbosity
        self.docs_url = docs_url

    def render(self, report: Report) -> str:
        stats = report.stats()
        links = rule_links(self.docs_url)
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
                code = f"[{f.code}]({links[f.code]})" if f.code in links else f.code
                lines.append(f"| {where} | {f.severity.label} | {code} | {_cell(f.message)} | {_cell(f.fix or '')} |")
            lines.append("")
        return "\n".join(lines)
