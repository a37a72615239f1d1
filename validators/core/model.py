"""The vocabulary every check speaks: rules, severities, locations and findings.

A `Rule` is class-level data (code, slug, title, explanation, examples) declared next to the check that emits it;
a `Finding` is one occurrence of a rule in one file. Findings are frozen and carry no rendering logic, so reporters,
the gate and the Python API can all consume the same objects.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CODE_PATTERN = re.compile(r"^OMX[0-9]{3}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Severity(enum.IntEnum):
    """Ordered so that `finding.severity >= fail_on` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r}; expected one of {names}") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: a JSON Pointer (or an HDF5 path), plus 1-based line/column for text inputs."""

    pointer: str = ""
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"{self.line}:{self.column or 1}")
        if self.pointer:
            parts.append(self.pointer)
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one file. `fix` is a human hint ("write 380"). `edits`, where the correction is
    unambiguous, is the same fix as JSON Patch operations (RFC 6902) on the metadata document, which `omix fix`
    applies. `params` are the facts the message was made from (field, value, expected, row...), so that
    reporters, data frames and fixes read structured data instead of re-parsing messages."""

    code: str
    severity: Severity
    message: str
    file: str
    location: Location = field(default_factory=Location)
    fix: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)
    edits: tuple[Mapping[str, Any], ...] = ()

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (
            self.file,
            self.location.line or 0,
            self.location.column or 0,
            self.location.pointer,
            self.code,
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """A stable, documented kind of finding. Codes are never reused; slugs are kebab-case."""

    code: str
    slug: str
    severity: Severity
    title: str
    message: str
    explanation: str
    bad: str = ""
    good: str = ""
    # What `omix fix` does for this rule, when it can correct it safely ("" when it never does).
    autofix: str = ""

    def __post_init__(self) -> None:
        if not CODE_PATTERN.match(self.code):
            raise ValueError(f"rule code {self.code!r} is not of the form OMXnnn")
        if not SLUG_PATTERN.match(self.slug):
            raise ValueError(f"rule slug {self.slug!r} is not kebab-case")

    @property
    def family(self) -> str:
        return self.code[:4]

    def finding(
        self,
        file: str,
        location: Location | None = None,
        *,
        fix: str | None = None,
        severity: Severity | None = None,
        edits: tuple[Mapping[str, Any], ...] = (),
        **params: Any,
    ) -> Finding:
        """Build a finding; `params` fill the message template (so messages stay consistent per rule) and stay
        on the finding as its facts."""
        return Finding(
            code=self.code,
            severity=self.severity if severity is None else severity,
            message=self.message.format(**params),
            file=file,
            location=location or Location(),
            fix=fix,
            params=params,
            edits=edits,
        )


def replace_edit(pointer: str, value: Any) -> tuple[Mapping[str, Any], ...]:
    """One JSON Patch `replace` operation, as a finding's `edits`."""
    return ({"op": "replace", "path": pointer, "value": value},)
