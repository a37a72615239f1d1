"""Reporters render a Report for people or machines. A plain dict registry, like check-jsonschema's."""

from __future__ import annotations

from typing import Protocol

from omix_ingest.report.model import Report
from omix_ingest.report.reporters.concise import ConciseReporter
from omix_ingest.report.reporters.github import GithubReporter
from omix_ingest.report.reporters.html import HtmlReporter
from omix_ingest.report.reporters.json_report import JsonReporter
from omix_ingest.report.reporters.junit import JunitReporter
from omix_ingest.report.reporters.markdown import MarkdownReporter
from omix_ingest.report.reporters.sarif import SarifReporter
from omix_ingest.report.reporters.text import TextReporter


class Reporter(Protocol):
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None: ...

    def render(self, report: Report) -> str: ...


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "concise": ConciseReporter,
    "json": JsonReporter,
    "junit": JunitReporter,
    "sarif": SarifReporter,
    "github": GithubReporter,
    "markdown": MarkdownReporter,
    "html": HtmlReporter,
}
