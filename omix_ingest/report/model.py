"""The Report: one run's outcome, the contract every reporter and the gate read.

Its JSON form (`to_dict`) is published as `omix_ingest/schemas/report.schema.json`; `from_dict` reads it back so a
saved report can be rendered again or checked by the gate.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from validators.core.jsonread import unescape_pointer_token
from validators.core.model import Finding, Location, Severity

if TYPE_CHECKING:
    import pandas as pd

REPORT_FORMAT_VERSION = 2  # 2: the `run` block and each finding's `params`
TOOL_NAME = "omix-ingest"


@dataclass(frozen=True)
class TemplateInfo:
    template_id: str
    sha256: str
    source: str
    data_type: str
    repo_id: str = ""
    field_names: dict[str, str] = field(default_factory=dict)  # original name → schema field name

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.template_id,
            "sha256": self.sha256,
            "source": self.source,
            "data_type": self.data_type,
            "repo_id": self.repo_id,
            "field_names": dict(self.field_names),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateInfo:
        return cls(
            data["id"],
            data["sha256"],
            data["source"],
            data["data_type"],
            data.get("repo_id", ""),
            dict(data.get("field_names", {})),
        )


@dataclass(frozen=True)
class FileReport:
    path: str
    validators: tuple[str, ...]
    sha256: str | None
    size: int | None
    findings: tuple[Finding, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "validators": list(self.validators),
            "sha256": self.sha256,
            "size": self.size,
            "facts": dict(self.facts),
            "findings": [finding_to_dict(f) for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileReport:
        return cls(
            data["path"],
            tuple(data["validators"]),
            data["sha256"],
            data["size"],
            tuple(finding_from_dict(f, data["path"]) for f in data["findings"]),
            dict(data.get("facts", {})),
        )


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "code": finding.code,
        "severity": finding.severity.label,
        "message": finding.message,
        "pointer": loc.pointer,
        "line": loc.line,
        "column": loc.column,
        "fix": finding.fix,
        "params": {str(k): jsonable(v) for k, v in finding.params.items()},
        "edits": [jsonable(e) for e in finding.edits],
    }


# orjson refuses integers beyond 64 bits, and strict JSON has no NaN or lone surrogates: such values (they come
# straight from broken inputs) are written as text.
_INT_RANGE = range(-(2**63), 2**64)


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data: what JSON cannot hold faithfully becomes its text form."""
    if type(value) is str and value.isascii():  # most finding parameters: one C-speed test
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value in _INT_RANGE else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        if value.isascii() or _encodable(value):  # isascii: the common case, at C speed
            return value
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=str)
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item):
        return jsonable(item())
    return str(value)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def finding_from_dict(data: dict[str, Any], path: str) -> Finding:
    return Finding(
        code=data["code"],
        severity=Severity.parse(data["severity"]),
        message=data["message"],
        file=path,
        location=Location(data.get("pointer", ""), data.get("line"), data.get("column")),
        fix=data.get("fix"),
        params=dict(data.get("params") or {}),
        edits=tuple(data.get("edits") or ()),
    )


@dataclass(frozen=True)
class Report:
    version: str
    files: tuple[FileReport, ...]
    template: TemplateInfo | None = None
    rule_pack: str | None = None
    fail_on: Severity = Severity.ERROR
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    skipped: tuple[str, ...] = ()
    # What this run checked (selection, scope, fail-on, limits, rule pack and template hashes, tool version):
    # signed with the report, so a report made under other settings can never stand in for this run's.
    run: Mapping[str, Any] | None = None

    @property
    def findings(self) -> Iterator[Finding]:
        for file in self.files:
            yield from file.findings

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_on for f in self.findings)

    def fixes(self) -> list[Finding]:
        """The findings with a safe automatic correction (JSON Patch `edits`), which `omix fix` and
        `omix_ingest.api.apply_fixes` apply."""
        return [f for f in self.findings if f.edits]

    def failing_files(self) -> list[FileReport]:
        return [f for f in self.files if f.worst is not None and f.worst >= self.fail_on]

    def stats(self) -> dict[str, Any]:
        by_severity = Counter(f.severity.label for f in self.findings)
        by_code = Counter(f.code for f in self.findings)
        return {
            "files": len(self.files),
            "files_with_findings": sum(1 for f in self.files if f.findings),
            "files_failed": len(self.failing_files()),
            "skipped": len(self.skipped),
            "findings": sum(by_code.values()),
            "by_severity": {s.label: by_severity.get(s.label, 0) for s in sorted(Severity, reverse=True)},
            "by_code": dict(sorted(by_code.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: values JSON cannot hold faithfully (integers wider than 64 bits, NaN, lone surrogates,
        from facts or names) become their text form, so every reporter and the signature can write them."""
        body = self._body()
        try:
            orjson.dumps(body)  # the common case: already plain JSON data, checked at C speed
        except (TypeError, orjson.JSONEncodeError):
            converted: dict[str, Any] = jsonable(body)
            return converted
        return body

    def _body(self) -> dict[str, Any]:
        return {
            "tool": TOOL_NAME,
            "version": self.version,
            "format_version": REPORT_FORMAT_VERSION,
            "created": self.created,
            "template": self.template.to_dict() if self.template else None,
            "rule_pack": self.rule_pack,
            "fail_on": self.fail_on.label,
            "run": dict(self.run) if self.run is not None else None,
            "passed": not self.failed,
            "stats": self.stats(),
            "files": [f.to_dict() for f in self.files],
            "skipped": list(self.skipped),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(
            version=data["version"],
            files=tuple(FileReport.from_dict(f) for f in data["files"]),
            template=TemplateInfo.from_dict(data["template"]) if data.get("template") else None,
            rule_pack=data.get("rule_pack"),
            fail_on=Severity.parse(data.get("fail_on", "error")),
            created=data["created"],
            skipped=tuple(data.get("skipped", ())),
            run=data.get("run"),
        )

    def _repr_html_(self) -> str:
        from omix_ingest.report.notebook import report_html

        return report_html(self)

    def status_dataframe(self) -> pd.DataFrame:
        """One row per file: passed or not, counts by severity (see `report.notebook.status_dataframe`)."""
        from omix_ingest.report.notebook import status_dataframe

        return status_dataframe(self)

    def to_dataframe(self) -> pd.DataFrame:
        """The polly-python error table (`dataset_id | Field | Original Name | Error Message | Repo`) plus code,
        severity, file and location, one row per finding."""
        import pandas as pd

        names = self.template.field_names if self.template else {}
        repo = self.template.repo_id if self.template else ""
        rows = []
        for file in self.files:
            dataset_id = file.facts.get("dataset_id") or _stem(file.path)
            for finding in file.findings:
                original = _field_of(finding)
                rows.append(
                    {
                        "dataset_id": dataset_id,
                        "Field": names.get(original, original),
                        "Original Name": original,
                        "Error Message": finding.message,
                        "Repo": repo,
                        "code": finding.code,
                        "severity": finding.severity.label,
                        "file": file.path,
                        "location": finding.location.describe(),
                        "fix": finding.fix,
                    }
                )
        columns = [
            "dataset_id",
            "Field",
            "Original Name",
            "Error Message",
            "Repo",
            "code",
            "severity",
            "file",
            "location",
            "fix",
        ]
        return pd.DataFrame(rows, columns=columns)


def _field_of(finding: Finding) -> str:
    """The metadata field a finding is about: its `field`/`key` fact, else the first token of a JSON Pointer
    (data-file findings point into HDF5 or text, such as `X` or `obs/cell_type`, and name no field)."""
    for name in ("field", "key"):
        value = finding.params.get(name)
        if isinstance(value, str):
            return value
    pointer = finding.location.pointer
    if not pointer.startswith("/") or not finding.file.lower().endswith(".json"):
        return ""
    return unescape_pointer_token(pointer.split("/")[1])


def _stem(path: str) -> str:
    from validators.core.naming import dataset_id_of

    return dataset_id_of(path.replace("\\", "/").rsplit("/", 1)[-1])
