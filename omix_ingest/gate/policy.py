"""The gate's decision, as a pure function of one dataset's facts: may it go in, and what must the user be told?

Kept apart from the orchestration (reading files, calling the backend) so that every rule of the gate can be
tested from a table of cases. It honours `__index__.validation_check` (`validate`, `scope`, `force_ingest`, at
dataset and sample level) and the run's `fail_on`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from validators.core.model import Finding, Severity

ROLE_DATA = "data"

# Problems that make a dataset impossible to ingest whatever its flags say: unreadable input, no JSON object,
# a wrong identity, a missing partner, a broken validator.
ALWAYS_BLOCKING = frozenset(
    {"OMX101", "OMX115", "OMX116", "OMX117", "OMX118", "OMX601", "OMX602", "OMX603", "OMX604", "OMX990"}
)
SAMPLE_LEVEL_CODES = frozenset({"OMX620", "OMX621", "OMX622"})
# An update may bring one side only: the other is already stored, so "unpaired" is not a problem.
UNPAIRED = frozenset({"OMX601", "OMX602"})
DEFAULT_CHECK: Mapping[str, Any] = {"validate": True, "scope": "advanced", "force_ingest": False}


def always_blocking(code: str) -> bool:
    return code in ALWAYS_BLOCKING or code.startswith("OMX9")


def sample_level(finding: Finding, role: str) -> bool:
    return finding.code in SAMPLE_LEVEL_CODES or (role == ROLE_DATA and finding.code.startswith("OMX2"))


@dataclass(frozen=True)
class DatasetCase:
    """What the gate knows about one dataset when it decides."""

    mode: str  # "add" or "update"
    present: bool  # already in the atlas
    has_metadata: bool
    data_files: Sequence[str] = ()
    findings: Sequence[tuple[Finding, str]] = ()  # (finding, role of the file it is in)
    checks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # validation_check by level
    validated: bool = True  # False: validation=False, nothing was checked
    fail_on: Severity = Severity.ERROR
    refusal: str | None = None  # found before deciding (two metadata files, ...)


@dataclass(frozen=True)
class Verdict:
    refusal: str | None
    note: str = ""
    because_of_findings: bool = False  # refused for what validation found (so: fix and upload again)
    admitted: tuple[Finding, ...] = ()  # findings of a dataset that goes in (warnings, forced or unchecked errors)


def _check(case: DatasetCase, level: str) -> Mapping[str, Any]:
    return case.checks.get(level, DEFAULT_CHECK)


def _structural_refusal(case: DatasetCase) -> str | None:
    if case.refusal is not None:
        return case.refusal
    if case.mode == "add" and case.present:
        return "already in the atlas; use update"
    if case.mode == "update" and not case.present:
        return "not in the atlas; use add"
    if len(case.data_files) > 1:
        return "several data files for one dataset: " + ", ".join(case.data_files)
    if case.mode == "add" and not case.validated and (not case.has_metadata or not case.data_files):
        return "add needs a metadata file and a data file for each dataset"
    return None


def decide(case: DatasetCase) -> Verdict:
    """The gate's verdict for one dataset."""
    refusal = _structural_refusal(case)
    if refusal is not None:
        return Verdict(refusal)
    if not case.validated:
        return Verdict(None, "not validated (validation=False)")
    blocking, forced, unchecked, admitted = [], [], [], []
    for finding, role in case.findings:
        if case.mode == "update" and finding.code in UNPAIRED:
            continue
        if finding.severity < case.fail_on:
            admitted.append(finding)
            continue
        if always_blocking(finding.code):
            blocking.append(finding)
            continue
        check = _check(case, "sample" if sample_level(finding, role) else "dataset")
        if sample_level(finding, role) and check["scope"] == "basic" and finding.code.startswith("OMX2"):
            continue  # basic scope: no value rules (the dataset level's are skipped by the validator itself)
        if not check["validate"]:
            unchecked.append(finding)
        elif check["force_ingest"]:
            forced.append(finding)
        else:
            blocking.append(finding)
    if blocking:
        codes = ", ".join(sorted({f.code for f in blocking}))
        what = "error(s)" if case.fail_on == Severity.ERROR else f"finding(s) at or above {case.fail_on.label}"
        return Verdict(f"{len(blocking)} {what}: {codes}", "", True)
    return Verdict(None, _note(forced, unchecked, admitted), admitted=(*forced, *unchecked, *admitted))


def _note(forced: list[Finding], unchecked: list[Finding], admitted: list[Finding]) -> str:
    notes = []
    if forced:
        codes = ", ".join(sorted({f.code for f in forced}))
        notes.append(f"ingested despite {len(forced)} error(s) ({codes}) because force_ingest is true")
    if unchecked:
        notes.append(f"{len(unchecked)} error(s) not checked (validate is false in __index__.validation_check)")
    if admitted:
        by_severity = sorted({f.severity for f in admitted}, reverse=True)
        labels = " and ".join(s.label for s in by_severity)
        notes.append(f"ingested with {len(admitted)} {labels} finding(s)")
    return "; ".join(notes)
