"""JUnit XML, for CI systems that show test results: one test case per file, failing when the file fails."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from omix_ingest.report.model import Report


class JunitReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color, verbosity

    def render(self, report: Report) -> str:
        failing = {f.path for f in report.failing_files()}
        suite = ET.Element(
            "testsuite",
            name="omix-ingest",
            tests=str(len(report.files)),
            failures=str(len(failing)),
            errors="0",
            skipped=str(len(report.skipped)),
        )
        for file in report.files:
            case = ET.SubElement(suite, "testcase", classname="omix.validate", name=file.path)
            lines = [f"{f.location.describe() or '-'} {f.severity.label} {f.code} {f.message}" for f in file.findings]
            if file.path in failing:
                worst = [f for f in file.findings if f.severity >= report.fail_on]
                failure = ET.SubElement(
                    case,
                    "failure",
                    type=worst[0].code,
                    message=f"{len(worst)} finding(s) at or above {report.fail_on.label}",
                )
                failure.text = "\n".join(lines)
            elif lines:
                ET.SubElement(case, "system-out").text = "\n".join(lines)
        ET.indent(suite)
        return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
