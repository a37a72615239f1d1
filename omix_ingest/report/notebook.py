"""Reports and gate results in a notebook: HTML tables (Jupyter calls `_repr_html_`) and a per-file status table.
Every value goes through pandas' escaping, so a finding quoting `<script>` shows it as text."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from omix_ingest.gate.result import GateResult
    from omix_ingest.report.model import Report

MAX_ROWS = 200  # a notebook cell stays readable; to_dataframe() has everything


def status_dataframe(report: Report) -> pd.DataFrame:
    """One row per file: dataset id, file, whether it passes, its counts by severity and its validators."""
    import pandas as pd

    from validators.core.model import Severity

    rows = []
    for file in report.files:
        counts = {s: sum(1 for f in file.findings if f.severity == s) for s in Severity}
        rows.append(
            {
                "dataset_id": file.facts.get("dataset_id") or file.path.replace("\\", "/").rsplit("/", 1)[-1],
                "file": file.path,
                "passed": not (file.worst is not None and file.worst >= report.fail_on),
                "errors": counts[Severity.ERROR],
                "warnings": counts[Severity.WARNING],
                "info": counts[Severity.INFO],
                "validators": ", ".join(file.validators),
            }
        )
    columns = ["dataset_id", "file", "passed", "errors", "warnings", "info", "validators"]
    return pd.DataFrame(rows, columns=columns)


def _headline(summary: str) -> str:
    """A summary line ("FAILED: ...") as HTML, the verdict in bold."""
    verdict, _, rest = summary.partition(": ")
    return f"<p><b>{html.escape(verdict)}</b>: {html.escape(rest)}</p>"


def report_html(report: Report) -> str:
    from omix_ingest.report.reporters.text import TextReporter

    head = _headline(TextReporter(color=False).summary(report))
    frame = report.to_dataframe()
    shown = frame.head(MAX_ROWS)[["dataset_id", "code", "severity", "Original Name", "Error Message", "location"]]
    more = f"<p>{len(frame) - MAX_ROWS} more findings: report.to_dataframe()</p>" if len(frame) > MAX_ROWS else ""
    return head + (shown.to_html(index=False, escape=True) if len(frame) else "") + more


def gate_html(result: GateResult) -> str:
    notes = "".join(f"<p>note: {html.escape(n)}</p>" for n in result.notes)
    return _headline(result.summary()) + notes + result.to_dataframe().head(MAX_ROWS).to_html(index=False, escape=True)
