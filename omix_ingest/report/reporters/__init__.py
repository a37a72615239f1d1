"""Reporters render a Report for people or machines. A plain registry, like check-jsonschema's, whose entries
import their module when first used: a run writes one format and need not load the seven others."""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator, Mapping
from typing import Protocol

from omix_ingest.report.model import Report


class Reporter(Protocol):
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None: ...

    def render(self, report: Report) -> str: ...


class _Registry(Mapping[str, type[Reporter]]):
    """Format name -> reporter class, imported on first look-up."""

    def __init__(self, targets: dict[str, str]) -> None:
        self._targets = targets

    def __getitem__(self, name: str) -> type[Reporter]:
        reporter: type[Reporter] = pkgutil.resolve_name(self._targets[name])
        return reporter

    def __iter__(self) -> Iterator[str]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


_PACKAGE = "omix_ingest.report.reporters"
REPORTERS: Mapping[str, type[Reporter]] = _Registry(
    {
        "text": f"{_PACKAGE}.text:TextReporter",
        "concise": f"{_PACKAGE}.concise:ConciseReporter",
        "json": f"{_PACKAGE}.json_report:JsonReporter",
        "junit": f"{_PACKAGE}.junit:JunitReporter",
        "sarif": f"{_PACKAGE}.sarif:SarifReporter",
        "github": f"{_PACKAGE}.github:GithubReporter",
        "markdown": f"{_PACKAGE}.markdown:MarkdownReporter",
        "html": f"{_PACKAGE}.html:HtmlReporter",
    }
)
