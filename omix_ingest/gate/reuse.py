"""Whether a saved report may stand in for validating now.

Only when it is signed by this installation, its signed `run` block (selection, scope, fail-on, limits, rule pack
and template hashes, tool version) equals the one the gate would use now, and every file still hashes to what it
says. Anything else means validating again, and the note says why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omix_ingest.report.model import Report
from omix_ingest.report.signing import verify
from omix_ingest.run.plan import PlannedFile
from omix_ingest.run.runner import file_sha256


def _differences(recorded: Mapping[str, Any] | None, expected: Mapping[str, Any]) -> list[str]:
    if recorded is None:
        return ["the report does not record its run configuration"]
    keys = sorted(set(recorded) | set(expected))
    return [
        f"{key}: {recorded.get(key)!r} there, {expected.get(key)!r} now"
        for key in keys
        if recorded.get(key) != expected.get(key)
    ]


def reusable_report(
    path: Path, expected_run: Mapping[str, Any], entries: list[PlannedFile], notes: list[str]
) -> Report | None:
    """The report at `path` if it may stand in for this run; otherwise None, with the reason added to `notes`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        notes.append(f"report {path} cannot be read ({exc}); validated again")
        return None
    if not isinstance(data, dict) or not verify(data):
        notes.append(f"report {path} is not signed by this installation (edited or foreign); validated again")
        return None
    try:
        report = Report.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        notes.append(f"report {path} is not an omix-ingest report ({exc}); validated again")
        return None
    differences = _differences(report.run, expected_run)
    if differences:
        notes.append(
            f"report {path} was made under another run configuration ({'; '.join(differences)}); validated again"
        )
        return None
    by_path = {f.path: f for f in report.files}
    for entry in entries:
        recorded = by_path.get(str(entry.path))
        if recorded is None or recorded.sha256 != file_sha256(entry.path)[0]:
            notes.append(f"{entry.path} changed (or is new) since report {path}; validated again")
            return None
    notes.append(f"reused signed report {path}")
    return report
