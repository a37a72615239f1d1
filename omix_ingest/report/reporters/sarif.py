"""SARIF 2.1.0, for code-scanning dashboards: every rule the registry knows (with `helpUri`, its page on the docs
site at `docs_url`), every finding as a result, with `fixes` where `omix fix` has one."""

from __future__ import annotations

import orjson

from omix_ingest import __version__
from omix_ingest.docs import rule_links
from omix_ingest.report.model import Report, jsonable
from omix_ingest.report.reporters.sarif_fixes import sarif_fixes
from omix_ingest.run.config_file import DEFAULT_DOCS_URL
from validators.core.model import Finding, Rule, Severity
from validators.registry import collect_rules, load_validators

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _result(finding: Finding, index: dict[str, int]) -> dict[str, object]:
    region: dict[str, int] = {}
    if finding.location.line is not None:
        region = {"startLine": finding.location.line, "startColumn": finding.location.column or 1}
    location: dict[str, object] = {"artifactLocation": {"uri": finding.file}}
    if region:
        location["region"] = region
    result: dict[str, object] = {
        "ruleId": finding.code,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message + (f" (fix: {finding.fix})" if finding.fix else "")},
        "locations": [{"physicalLocation": location}],
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    if finding.location.pointer:
        result["properties"] = {"pointer": finding.location.pointer}
    return result


class SarifReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0, docs_url: str = DEFAULT_DOCS_URL) -> None:
        del color, verbosity  # machine output never changes with them
        self.docs_url = docs_url

    @staticmethod
    def _descriptor(rule: Rule, links: dict[str, str]) -> dict[str, object]:
        descriptor: dict[str, object] = {
            "id": rule.code,
            "name": rule.slug,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.explanation},
            "help": {"text": f"{rule.explanation}\n\nBad: {rule.bad}\nGood: {rule.good}"},
            "defaultConfiguration": {"level": LEVELS[rule.severity]},
        }
        if rule.code in links:
            descriptor["helpUri"] = links[rule.code]
        return descriptor

    def render(self, report: Report) -> str:
        rules = list(collect_rules(load_validators()).values())
        index = {rule.code: i for i, rule in enumerate(rules)}
        links = rule_links(self.docs_url)
        driver = {
            "name": "omix-ingest",
            "version": __version__,
            "rules": [self._descriptor(rule, links) for rule in rules],
        }
        results = []
        for file in report.files:
            fixes = sarif_fixes(file)
            for number, finding in enumerate(file.findings):
                result = _result(finding, index)
                if number in fixes:
                    result["fixes"] = [fixes[number]]
                results.append(result)
        body = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}
        # Messages and pointers quote broken inputs (a lone surrogate in a key): written escaped, as in the JSON report.
        return orjson.dumps(jsonable(body), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
