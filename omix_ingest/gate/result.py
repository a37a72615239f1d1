"""What a gate run returns: one row per file (polly-python's `File Name | Message`, plus id, status and reason)
and the validation report it decided on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omix_ingest.report.model import Report

if TYPE_CHECKING:
    import pandas as pd

UPLOADED, NOT_UPLOADED = "File Uploaded", "File Not Uploaded"
NOT_IN = ("refused", "unconfirmed")  # statuses of files that did not (or not surely) go in
PREPOSITIONS = {"add": "into", "update": "in", "delete": "from", "move": ":"}
REUPLOAD = f"{NOT_UPLOADED}, reupload after fixing it"


@dataclass(frozen=True)
class FileStatus:
    """One row of the result table."""

    dataset_id: str
    file_name: str
    status: str
    message: str
    reason: str = ""


@dataclass(frozen=True)
class GateResult:
    action: str
    atlas: str
    run_id: int | None
    rows: tuple[FileStatus, ...]
    report: Report | None = None
    notes: tuple[str, ...] = ()
    validated: bool = True

    @property
    def refused(self) -> list[FileStatus]:
        return [r for r in self.rows if r.status == "refused"]

    @property
    def ok(self) -> bool:
        """Everything asked for went in, confirmed."""
        return all(r.status not in NOT_IN for r in self.rows)

    def summary(self) -> str:
        """The closing line: verdict, run, and how many files went in; it agrees with the exit code."""
        missing = sum(1 for r in self.rows if r.status in NOT_IN)
        where = f"{self.action} {PREPOSITIONS.get(self.action, 'in')} {self.atlas}"
        verdict = "ok" if self.ok else "FAILED"
        counts = f"{len(self.rows) - missing} file(s) ok, {missing} refused or unconfirmed"
        return f"{verdict}: run {self.run_id}: {where}: {counts}"

    def _repr_html_(self) -> str:
        from omix_ingest.report.notebook import gate_html

        return gate_html(self)

    def to_dataframe(self) -> pd.DataFrame:
        import pandas as pd

        columns = ["dataset_id", "File Name", "Message", "status", "reason"]
        rows = [[r.dataset_id, r.file_name, r.message, r.status, r.reason] for r in self.rows]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "atlas": self.atlas,
            "run_id": self.run_id,
            "ok": self.ok,
            "validated": self.validated,
            "notes": list(self.notes),
            "rows": [r.__dict__ for r in self.rows],
            "report": self.report.stats() if self.report else None,
        }
