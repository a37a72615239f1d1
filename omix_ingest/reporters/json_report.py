"""The JSON report: the machine contract, identical at every verbosity (schema: schemas/report.schema.json).

Encoded with orjson: the standard library falls back to its pure-Python encoder whenever it indents, which
dominated the run time of large reports."""

from __future__ import annotations

import orjson

from omix_ingest.report import Report


class JsonReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color, verbosity  # machine output never changes with them

    def render(self, report: Report) -> str:
        return orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
