"""GitHub Actions workflow commands: each finding becomes an annotation on the file and line it concerns."""

from __future__ import annotations

from omix_ingest.report.model import Report
from validators.core.model import Finding, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    props = [f"file={_property(finding.file)}"]
    if finding.location.line is not None:
        props += [f"line={finding.location.line}", f"col={finding.location.column or 1}"]
    props.append(f"title={_property(finding.code)}")
    message = finding.message + (f" (fix: {finding.fix})" if finding.fix else "")
    return f"::{COMMANDS[finding.severity]} {','.join(props)}::{_data(message)}"


class GithubReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color, verbosity

    def render(self, report: Report) -> str:
        return "".join(annotation(f) + "\n" for f in report.findings)
