"""The text GCT rules (OMX401-OMX417; the shared OMX9xx ones it reports come from core), declared apart from the
checks because there are many of them."""

from __future__ import annotations

from validators.core.jsonread import NUMBER_NOT_REPRESENTABLE
from validators.core.model import Rule, Severity
from validators.core.unreadable import EMPTY_FILE, LINE_TOO_LONG, MISSING_FILE, NOT_UTF8, UNREADABLE, UTF8_BOM

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
    "Empty, missing, padded or unprintable id",
    "{what} {value!r} is {problem}",
    "Ids must be real names: an empty id, a missing-value marker such as NA, an id with surrounding spaces, or "
    "one holding control characters (NUL, escapes, zero-width or direction marks) cannot be matched to sample "
    "metadata or searched.",
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
    STRAY_LINE, QUOTED_FIELD, MISSING_FILE, NOT_UTF8, UTF8_BOM, UNREADABLE, EMPTY_FILE, LINE_TOO_LONG,
    NUMBER_NOT_REPRESENTABLE,
)  # fmt: skip
