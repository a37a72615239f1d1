"""Text GCT 1.2 / 1.3 (OMX401-OMX417), streamed line by line with line and column in every finding.

Polly ingests GCT with cmapPy, whose own checks are `assert`s (gone under `python -O`) and which accepts some
files silently wrong. The rules here follow what cmapPy 4.0.1 needs to parse a file correctly:
missing values are the markers cmapPy reads as NaN (`NaN`, `NA`, `N/A`, `null`, `None`, ...; counted and
reported once as info); `-666` inside the matrix is also read as missing, which is ambiguous, so it is a warning;
an empty cell, text, or an infinite value is an error (cmapPy fails on the first two; the third poisons analyses).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from validators.core.capped import CappedFindings
from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding, Location, Rule, Severity
from validators.core.unreadable import MISSING_FILE, NOT_UTF8, UNREADABLE, UTF8_BOM, open_error

# Exactly cmapPy 4.0.1's nan_values for GCT (with convert_neg_666=True).
MISSING_MARKERS = frozenset(
    {"#N/A", "N/A", "NA", "#NA", "NULL", "NaN", "-NaN", "nan", "-nan", "#N/A!", "na", "None", "#VALUE!", "-666"}
)
GZIP_MAGIC = b"\x1f\x8b"
_UINT = re.compile(r"[0-9]+")


BAD_VERSION = Rule(
    "OMX401",
    "gct-version-line",
    Severity.ERROR,
    "GCT version line is not #1.2 or #1.3",
    "the first line must be #1.2 or #1.3, found {found!r}",
    "The version line tells a reader how to lay out the rest (1.3 adds row and column metadata).",
    "1.3",
    "#1.3",
)
BAD_DIMENSIONS = Rule(
    "OMX402",
    "gct-dimensions-line",
    Severity.ERROR,
    "GCT dimensions line is malformed",
    "line 2 must hold {expected} tab-separated non-negative integers, found {found!r}",
    "Line 2 declares the matrix size (1.2: rows, columns; 1.3: rows, columns, row-metadata fields, "
    "column-metadata fields). Readers trust it to split the file.",
    "20000 1000 (spaces)",
    "20000\\t1000",
)
BAD_HEADER = Rule(
    "OMX403",
    "gct-header",
    Severity.ERROR,
    "GCT header line is malformed",
    "{problem}",
    "Line 3 names the columns: `Name`, `Description`, then sample ids (1.2), or `id`, the row-metadata headers, "
    "then sample ids (1.3).",
    "Gene\\tDesc\\tS1",
    "Name\\tDescription\\tS1",
)
DIMENSION_MISMATCH = Rule(
    "OMX404",
    "gct-dimension-mismatch",
    Severity.ERROR,
    "Declared GCT dimensions differ from the file",
    "line 2 declares {declared} {what}, the file has {actual}",
    "A reader sizes the matrix from line 2; cmapPy asserts the size (and under `python -O` silently misreads). "
    "Fix the declaration or the truncated file.",
    "2 lines declared, 3 data rows",
    "3 declared, 3 data rows",
)
RAGGED_ROW = Rule(
    "OMX405",
    "gct-ragged-row",
    Severity.ERROR,
    "Row with the wrong number of fields",
    "row has {found} tab-separated fields, expected {expected}",
    "Every row has one field per header column. A missing or extra tab shifts every value after it.",
    "g1\\tna\\t1.0",
    "g1\\tna\\t1.0\\t2.0",
)
DUPLICATE_ROW_ID = Rule(
    "OMX406",
    "gct-duplicate-row-id",
    Severity.ERROR,
    "Duplicate row id",
    "row id {value!r} already appears on line {first_line}",
    "Row ids identify features; a duplicate makes lookups ambiguous and one row is lost on indexing.",
    "TP53 twice",
    "TP53 once",
)
DUPLICATE_SAMPLE_ID = Rule(
    "OMX407",
    "gct-duplicate-sample-id",
    Severity.ERROR,
    "Duplicate sample id",
    "sample id {value!r} appears more than once in the header",
    "Sample ids pair data columns with sample metadata; duplicates make the pairing ambiguous.",
    "S1\\tS1",
    "S1\\tS2",
)
DUPLICATE_META_HEADER = Rule(
    "OMX408",
    "gct-duplicate-metadata-header",
    Severity.ERROR,
    "Duplicate metadata header",
    "metadata header {value!r} appears more than once",
    "Row-metadata headers and column-metadata field names become column names; duplicates collide.",
    "pert\\tpert",
    "pert\\tdose",
)
BAD_ID = Rule(
    "OMX409",
    "gct-empty-or-missing-id",
    Severity.ERROR,
    "Empty, missing or padded id",
    "{what} {value!r} is {problem}",
    "Ids must be real names: an empty id, a missing-value marker such as NA, or an id with surrounding spaces "
    "cannot be matched to sample metadata or searched.",
    "\\tna\\t1.0 (empty row id)",
    "g1\\tna\\t1.0",
)
NON_NUMERIC = Rule(
    "OMX410",
    "gct-non-numeric-value",
    Severity.ERROR,
    "Data cell is not a number",
    "data cell {value!r} (row {row!r}, sample {sample!r}) is not a number or a missing-value marker",
    "The matrix holds numbers. An empty cell or text makes cmapPy fail; write NaN (or NA) for missing values.",
    "g1\\tna\\t1.0\\t\\t3.0",
    "g1\\tna\\t1.0\\tNaN\\t3.0",
)
NEG_666_IN_DATA = Rule(
    "OMX411",
    "gct-666-in-data",
    Severity.WARNING,
    "-666 inside the data matrix",
    "-666 in the data matrix (row {row!r}, sample {sample!r}) is read as a missing value",
    "-666 is GCT's filler for empty metadata. In the matrix cmapPy turns it into NaN, so a real value of -666 "
    "would be lost and a missing one is written confusingly. Write NaN for missing values.",
    "g1\\tna\\t-666",
    "g1\\tna\\tNaN",
)
MISSING_VALUES = Rule(
    "OMX412",
    "gct-missing-values",
    Severity.INFO,
    "Missing values in the data matrix",
    "{count} data cells are missing values ({markers})",
    "Missing values are legal; this note says how many there are, so an unexpected number gets noticed.",
    "g1\\tna\\tNaN",
    "g1\\tna\\t1.0",
)
INFINITE_VALUE = Rule(
    "OMX413",
    "gct-infinite-value",
    Severity.ERROR,
    "Infinite value in the data matrix",
    "data cell {value!r} (row {row!r}, sample {sample!r}) is infinite",
    "Infinity is no measurement; it usually comes from a division by zero or a log of zero upstream.",
    "g1\\tna\\tinf",
    "g1\\tna\\t12.5",
)
CRLF = Rule(
    "OMX414",
    "gct-crlf-line-endings",
    Severity.WARNING,
    "Windows (CRLF) line endings",
    "{count} lines end in CRLF (\\r\\n)",
    'Carriage returns end up inside the last field of each line (a sample id "S3\\r") with some readers.',
    "S3\\r\\n",
    "S3\\n",
)
COMPRESSED = Rule(
    "OMX415",
    "gct-compressed-content",
    Severity.ERROR,
    "Compressed content under a .gct name",
    "the file is gzip-compressed; a .gct file must be plain text",
    "Polly reads `.gct` as text. Decompress the file (or name it for what it is).",
    "gzip data in GSE1_GPL1.gct",
    "gunzip then GSE1_GPL1.gct",
)
STRAY_LINE = Rule(
    "OMX416",
    "gct-stray-line",
    Severity.ERROR,
    "Comment or blank line in the body",
    "{what} line in the body of the file",
    "GCT has no comments. A `#` line in the body makes cmapPy fail; a blank line is skipped by some readers and "
    "not others (warning).",
    "# normalised with DESeq2",
    "(remove the line)",
)
QUOTED_FIELD = Rule(
    "OMX417",
    "gct-quoted-field",
    Severity.WARNING,
    "Quoted field",
    "field {value!r} is wrapped in quotes, which become part of the value",
    'GCT is not CSV: quotes are kept as characters, so "TP53" and TP53 are different ids.',
    '"TP53"\\tna\\t1.0',
    "TP53\\tna\\t1.0",
)

RULES: tuple[Rule, ...] = (
    BAD_VERSION, BAD_DIMENSIONS, BAD_HEADER, DIMENSION_MISMATCH, RAGGED_ROW, DUPLICATE_ROW_ID, DUPLICATE_SAMPLE_ID,
    DUPLICATE_META_HEADER, BAD_ID, NON_NUMERIC, NEG_666_IN_DATA, MISSING_VALUES, INFINITE_VALUE, CRLF, COMPRESSED,
    STRAY_LINE, QUOTED_FIELD, MISSING_FILE, NOT_UTF8, UTF8_BOM, UNREADABLE,
)  # fmt: skip


def _column(fields: list[str], index: int) -> int:
    """1-based character column where field `index` starts."""
    return sum(len(f) + 1 for f in fields[:index]) + 1


def _id_problem(value: str) -> str | None:
    if not value.strip():
        return "empty"
    if value in MISSING_MARKERS:
        return "a missing-value marker"
    if value != value.strip():
        return "padded with spaces"
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


class _Reader:
    """Decoded lines with their numbers, CRLF counted; decoding errors become findings."""

    def __init__(self, handle: IO[bytes], display: str, out: CappedFindings) -> None:
        self.handle, self.display, self.out = handle, display, out
        self.number = 0
        self.crlf = 0
        self.first_crlf: int | None = None
        self.broken = False

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for raw in self.handle:
            self.number += 1
            if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                self.out.add(UTF8_BOM.finding(self.display, Location(line=1, column=1)))
                raw = raw[3:]
            if raw.endswith(b"\r\n"):
                self.crlf += 1
                self.first_crlf = self.first_crlf or self.number
                raw = raw[:-2]
            elif raw.endswith(b"\n"):
                raw = raw[:-1]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                column = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
                detail = f"byte 0x{raw[exc.start]:02X} at line {self.number}, column {column}"
                where = Location(line=self.number, column=column)
                self.out.add(NOT_UTF8.finding(self.display, where, detail=detail))
                self.broken = True
                return
            yield self.number, text


class GctValidator:
    name = "gct"
    kind = "data"
    rules: tuple[Rule, ...] = RULES

    def claims(self, path: Path) -> bool:
        return path.name.lower().endswith(".gct")

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        display = str(path)
        yield Fact("format", "gct")
        out = CappedFindings()
        try:
            with path.open("rb") as handle:
                if handle.read(2) == GZIP_MAGIC:
                    yield COMPRESSED.finding(display, Location(line=1, column=1))
                    return
                handle.seek(0)
                reader = _Reader(handle, display, out)
                layout = _GctParser(display, out).parse(reader)
                if reader.crlf:
                    out.add(CRLF.finding(display, Location(line=reader.first_crlf, column=1), count=reader.crlf))
        except OSError as exc:
            yield open_error(exc, display)
            return
        if layout is not None:
            yield Fact("n_samples", len(layout.samples))
            yield Fact("n_rows", layout.rows)
            if layout.column_metadata and (checker := ctx.sample_checker("gct")) is not None:
                yield from checker.check_columns(
                    layout.column_metadata, display, "column metadata", prefix="column metadata/"
                )
        yield from out


class _GctParser:
    def __init__(self, display: str, out: CappedFindings) -> None:
        self.display, self.out = display, out

    def at(self, line: int, column: int = 1) -> Location:
        return Location(line=line, column=column)

    def parse(self, reader: _Reader) -> GctLayout | None:
        lines = iter(reader)
        layout = self._head(lines)
        if layout is None:
            return None
        if layout.version == "1.3" and not self._column_metadata(lines, layout):
            return None
        rows = self._body(lines, layout)
        if rows != layout.rows and not reader.broken:  # a decoding error already ended the file early
            self.out.add(
                DIMENSION_MISMATCH.finding(
                    self.display, Location(), declared=layout.rows, what="data rows", actual=rows
                )
            )
        return layout

    def _head(self, lines: Iterator[tuple[int, str]]) -> GctLayout | None:
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
        if len(dims) != expected or not all(_UINT.fullmatch(d) for d in dims):
            found = second[1][:60] if second else "end of file"
            self.out.add(BAD_DIMENSIONS.finding(self.display, self.at(2), expected=expected, found=found))
            return None
        numbers = [int(d) for d in dims]
        layout = GctLayout(version, numbers[0], numbers[1])
        if version == "1.3":
            layout.row_meta, layout.col_meta = numbers[2], numbers[3]
        header = next(lines, None)
        if header is None:
            self.out.add(BAD_HEADER.finding(self.display, self.at(3), problem="the header line is missing"))
            return None
        self._header(header[0], header[1].split("\t"), layout)
        return layout

    def _header(self, number: int, fields: list[str], layout: GctLayout) -> None:
        if layout.version == "1.2":
            if fields[:2] != ["Name", "Description"]:
                found = "\\t".join(fields[:2])
                problem = f"a 1.2 header starts with Name<TAB>Description, found {found!r}"
                self.out.add(BAD_HEADER.finding(self.display, self.at(number), problem=problem))
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
        for offset, sample in enumerate(layout.samples):
            id_problem = _id_problem(sample)
            where = self.at(number, _column(fields, first_sample + offset))
            if id_problem:
                self.out.add(BAD_ID.finding(self.display, where, what="sample id", value=sample, problem=id_problem))
            elif len(sample) > 1 and sample[0] == sample[-1] == '"':
                self.out.add(QUOTED_FIELD.finding(self.display, where, value=sample))

    def _unique(self, values: list[str], number: int, fields: list[str], start: int, rule: Rule) -> None:
        seen: set[str] = set()
        for offset, value in enumerate(values):
            if value in seen:
                where = self.at(number, _column(fields, start + offset))
                self.out.add(rule.finding(self.display, where, value=value))
            seen.add(value)

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

    def _body(self, lines: Iterator[tuple[int, str]], layout: GctLayout) -> int:
        """Check every data row; returns how many there were."""
        first_value = 2 if layout.version == "1.2" else 1 + layout.row_meta
        width = first_value + len(layout.samples)
        seen_ids: dict[str, int] = {}
        rows = 0
        missing = 0
        markers: set[str] = set()
        for number, text in lines:
            if not text.strip():
                self.out.add(STRAY_LINE.finding(self.display, self.at(number), what="blank", severity=Severity.WARNING))
                continue
            if text.startswith("#"):
                self.out.add(STRAY_LINE.finding(self.display, self.at(number), what="comment"))
                continue
            rows += 1
            fields = text.split("\t")
            if len(fields) != width:
                self.out.add(RAGGED_ROW.finding(self.display, self.at(number), found=len(fields), expected=width))
                continue
            row_id = fields[0]
            problem = _id_problem(row_id)
            if problem:
                self.out.add(
                    BAD_ID.finding(self.display, self.at(number), what="row id", value=row_id, problem=problem)
                )
            elif row_id in seen_ids:
                first_line = seen_ids[row_id]
                self.out.add(
                    DUPLICATE_ROW_ID.finding(self.display, self.at(number), value=row_id, first_line=first_line)
                )
            else:
                seen_ids[row_id] = number
                if len(row_id) > 1 and row_id[0] == row_id[-1] == '"':
                    self.out.add(QUOTED_FIELD.finding(self.display, self.at(number), value=row_id))
            cells = fields[first_value:]
            if self._fast_row_ok(text, cells):
                continue
            missing += self._slow_row(number, fields, first_value, layout, markers)
        if missing:
            shown = ", ".join(sorted(markers))
            self.out.add(MISSING_VALUES.finding(self.display, Location(), count=missing, markers=shown))
        return rows

    @staticmethod
    def _fast_row_ok(text: str, cells: list[str]) -> bool:
        """True when every cell is a finite number other than -666 (the common case, checked at C speed)."""
        if "_" in text:
            return False  # Python's float() accepts 1_000; cmapPy does not
        try:
            values = list(map(float, cells))
        except ValueError:
            return False
        return math.isfinite(math.fsum(values)) and "-666" not in cells

    def _slow_row(self, number: int, fields: list[str], first: int, layout: GctLayout, markers: set[str]) -> int:
        missing = 0
        row_id = fields[0]
        for offset, cell in enumerate(fields[first:]):
            sample = layout.samples[offset] if offset < len(layout.samples) else "?"
            where = self.at(number, _column(fields, first + offset))
            if cell in MISSING_MARKERS:
                missing += 1
                markers.add(cell)
                if cell == "-666":
                    self.out.add(NEG_666_IN_DATA.finding(self.display, where, row=row_id, sample=sample))
                continue
            try:
                value = float(cell) if "_" not in cell else None
            except ValueError:
                value = None
            if value is None:
                self.out.add(NON_NUMERIC.finding(self.display, where, value=cell, row=row_id, sample=sample))
            elif math.isinf(value):
                self.out.add(INFINITE_VALUE.finding(self.display, where, value=cell, row=row_id, sample=sample))
            elif math.isnan(value):
                missing += 1
                markers.add(cell)
        return missing
