"""The JSON report: the machine contract, identical at every verbosity (schema: schemas/report.schema.json),
signed with the local key.

Encoded with orjson: the standard library falls back to its pure-Python encoder whenever it indents, which
dominated the run time of large reports."""

from __future__ import annotations

import orjson

from omix_ingest.report.model import Report
from omix_ingest.report.signing import sign


class JsonReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color, verbosity  # machine output never changes with them

    def render(self, report: Report) -> str:
        """Signed with the local key, so that `omix add --report` can trust it (and detect edits)."""
        signed = sign(report.to_dict())
        return orjson.dumps(signed, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()
