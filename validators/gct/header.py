"""The head of a text GCT: version line, dimensions line, header line and (1.3) the column-metadata lines.

What it reads becomes the `GctLayout` the row checks in `validators.gct.rows` work from; the cell vocabulary both
share (cmapPy's missing-value markers, what makes a bad id, where a field starts) is defined here with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from validators.core.capped import CappedFindings
from validators.core.model import Location, Rule, Severity
from validators.gct.rules import (
    BAD_DIMENSIONS,
    BAD_HEADER,
    BAD_ID,
    BAD_VERSION,
    DIMENSION_MISMATCH,
    DUPLICATE_META_HEADER,
    DUPLICATE_SAMPLE_ID,
    QUOTED_FIELD,
    RAGGED_ROW,
)

# Exactly cmapPy 4.0.1's nan_values for GCT (with convert_neg_666=True).
MISSING_MARKERS = frozenset(
    {"#N/A", "N/A", "NA", "#NA", "NULL", "NaN", "-NaN", "nan", "-nan", "#N/A!", "na", "None", "#VALUE!", "-666"}
)
_UINT = re.compile(r"[0-9]{1,15}")  # no real matrix needs more digits; 5,000 of them would stall int()


def field_column(fields: list[str], index: int) -> int:
    """1-based character column where field `index` starts."""
    return sum(len(f) + 1 for f in fields[:index]) + 1


def id_problem(value: str) -> str | None:
    if not value.strip():
        return "empty"
    if value in MISSING_MARKERS:
        return "a missing-value marker"
    if value != value.strip():
        return "padded with spaces"
    if value.isprintable():  # C speed; every control and format character is unprintable
        return None
    control = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf")), None)
    if control is not None:  # NUL, escape sequences, zero-width and direction marks: ids that print wrong
        return f"unprintable (it holds U+{ord(control):04X})"
    return None


@dataclass
class GctLayout:
    version: str
    rows: int
    cols: int
    row_meta: int = 0
    col_meta: int = 0
    samples: list[str] = field(default_factory=list)
    column_metadata: dict[str, list[str]] = field(default_factory=dict)  # 1.3 field → value per sample


class HeaderParser:
    """Reads the head of the file, up to the first data row, into a `GctLayout`."""

    def __init__(self, display: str, out: CappedFindings) -> None:
        self.display, self.out = display, out

    def at(self, line: int, column: int = 1) -> Location:
        return Location(line=line, column=column)

    def parse(self, lines: Iterator[tuple[int, str]]) -> GctLayout | None:
        """Consume the head; returns the layout, or None when the data rows cannot be told apart."""
        layout = self._head(lines)
        if layout is None:
            return None
        if layout.version == "1.3" and not self._column_metadata(lines, layout):
            return None
        return layout

    def _head(self, lines: Iterator[tuple[int, str]]) -> GctLayout | None:
        """Lines 1-3: version, dimensions and the header line."""
        first = next(lines, None)
        if first is None:
            return None
        version = first[1].strip()
        if version not in ("#1.2", "#1.3"):
            self.out.add(BAD_VERSION.finding(self.display, self.at(1), found=version[:40]))
            if version.lstrip("#") not in ("1.2", "1.3"):
                return None
        version = version.lstrip("#")
        second = next(lines, None)
        expected = 2 if version == "1.2" else 4
        dims = second[1].split("\t") if second else []
        if len(dims) > expected and not any(dims[expected:]):  # a spreadsheet pads the line with empty cells
            padded = BAD_DIMENSIONS.finding(
                self.display,
                self.at(2),
                expected=expected,
                found=second[1][:60] if second else "",
                severity=Severity.WARNING,
            )
            self.out.add(padded)
            dims = dims[:expected]
        if len(dims) != expected or not all(_UINT.fullmatch(d) for d in dims):
            found = second[1][:60] if second else "end of file"
            where = self.at(2) if second else Location()  # a line past the end of the file is nowhere in it
            self.out.add(BAD_DIMENSIONS.finding(self.display, where, expected=expected, found=found))
            return None
        numbers = [int(d) for d in dims]
        layout = GctLayout(version, numbers[0], numbers[1])
        if version == "1.3":
            layout.row_meta, layout.col_meta = numbers[2], numbers[3]
        header = next(lines, None)
        if header is None:
            self.out.add(BAD_HEADER.finding(self.display, Location(), problem="the header line is missing"))
            return None
        self._header(header[0], header[1].split("\t"), layout)
        return layout

    def _header(self, number: int, fields: list[str], layout: GctLayout) -> None:
        if layout.version == "1.2":
            if fields[:2] != ["Name", "Description"]:
                found = "\\t".join(fields[:2])
                problem = f"a 1.2 header starts with Name<TAB>Description, found {found!r}"
                # Another spelling (NAME, description) is read by cmapPy all the same: worth a warning only.
                spelling = [f.lower() for f in fields[:2]] == ["name", "description"]
                severity = Severity.WARNING if spelling else None
                self.out.add(BAD_HEADER.finding(self.display, self.at(number), problem=problem, severity=severity))
            first_sample = 2
        else:
            if fields[0] != "id":
                problem = f"a 1.3 header starts with id, found {fields[0]!r}"
                self.out.add(BAD_HEADER.finding(self.display, self.at(number), problem=problem))
            first_sample = 1 + layout.row_meta
            self._unique(fields[1:first_sample], number, fields, 1, DUPLICATE_META_HEADER)
        layout.samples = fields[first_sample:]
        if len(layout.samples) != layout.cols:
            self.out.add(
                DIMENSION_MISMATCH.finding(
                    self.display,
                    self.at(number),
                    declared=layout.cols,
                    what="sample columns",
                    actual=len(layout.samples),
                )
            )
        self._unique(layout.samples, number, fields, first_sample, DUPLICATE_SAMPLE_ID)
        column = field_column(fields, first_sample)  # then advanced id by id: one pass over a wide header
        for sample in layout.samples:
            issue = id_problem(sample)
            where = self.at(number, column)
            column += len(sample) + 1
            if issue:
                self.out.add(BAD_ID.finding(self.display, where, what="sample id", value=sample, problem=issue))
            elif len(sample) > 1 and sample[0] == sample[-1] == '"':
                self.out.add(QUOTED_FIELD.finding(self.display, where, value=sample))

    def _unique(self, values: list[str], number: int, fields: list[str], start: int, rule: Rule) -> None:
        seen: set[str] = set()
        column = field_column(fields, start)
        for value in values:
            if value in seen:
                self.out.add(rule.finding(self.display, self.at(number, column), value=value))
            seen.add(value)
            column += len(value) + 1

    def _column_metadata(self, lines: Iterator[tuple[int, str]], layout: GctLayout) -> bool:
        width = 1 + layout.row_meta + len(layout.samples)
        names: set[str] = set()
        for _ in range(layout.col_meta):
            item = next(lines, None)
            if item is None:
                self.out.add(
                    DIMENSION_MISMATCH.finding(
                        self.display,
                        Location(),
                        declared=layout.col_meta,
                        what="column-metadata lines",
                        actual=len(layout.column_metadata),
                    )
                )
                return False
            number, text = item
            fields = text.split("\t")
            if len(fields) != width:
                self.out.add(RAGGED_ROW.finding(self.display, self.at(number), found=len(fields), expected=width))
                continue
            name = fields[0]
            if name in names:
                self.out.add(DUPLICATE_META_HEADER.finding(self.display, self.at(number), value=name))
            names.add(name)
            layout.column_metadata[name] = fields[1 + layout.row_meta :]
        return True
