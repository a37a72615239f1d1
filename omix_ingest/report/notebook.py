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


def report_html(report: Report) -> str:
    stats = report.stats()
    verdict = "FAILED" if report.failed else "passed"
    head = (
        f"<p><b>{verdict}</b>: {stats['files']} files checked, {stats['files_failed']} failing "
        f"(fail-on {html.escape(report.fail_on.label)}); "
        + ", ".join(f"{n} {html.escape(label)}" for label, n in stats["by_severity"].items())
        + "</p>"
    )
    frame = report.to_dataframe()
    shown = frame.head(MAX_ROWS)[["dataset_id", "code", "severity", "Original Name", "Error Message", "location"]]
    more = f"<p>{len(frame) - MAX_ROWS} more findings: report.to_dataframe()</p>" if len(frame) > MAX_ROWS else ""
    return head + (shown.to_html(index=False, escape=True) if len(frame) else "") + more


def gate_html(result: GateResult) -> str:
    refused = sum(1 for r in result.rows if r.status in ("refused", "unconfirmed"))
    verdict = "ok" if result.ok else "FAILED"
    head = (
        f"<p><b>{verdict}</b>: run {result.run_id}: {html.escape(result.action)} {html.escape(result.atlas)}: "
        f"{len(result.rows) - refused} file(s) ok, {refused} refused or unconfirmed</p>"
    )
    notes = "".join(f"<p>note: {html.escape(n)}</p>" for n in result.notes)
    return head + notes + result.to_dataframe().head(MAX_ROWS).to_html(index=False, escape=True)
