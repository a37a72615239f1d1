"""The JSON report: the machine contract, identical at every verbosity (schema: schemas/report.schema.json)."""

from __future__ import annotations

import json

from omix_ingest.report import Report


class JsonReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color, verbosity  # machine output never changes with them

    def render(self, report: Report) -> str:
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
