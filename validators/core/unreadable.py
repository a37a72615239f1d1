"""Reading input bytes safely: every way a file can fail to be read becomes a coded finding (OMX9xx), never an
exception. Shared by every validator so that a missing or unreadable file reads the same everywhere."""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from validators.core.model import Finding, Location, Rule, Severity

MISSING_FILE = Rule(
    "OMX901",
    "file-not-found",
    Severity.ERROR,
    "File not found",
    "file does not exist: {path}",
    "A path given on the command line (or paired by dataset id) does not exist. Nothing can be validated or "
    "ingested for it.",
    bad="omix validate metadata/GSE1_GPL2.json   # no such file",
    good="omix validate metadata/GSE1_GPL1.json",
)
NOT_UTF8 = Rule(
    "OMX902",
    "not-utf8",
    Severity.ERROR,
    "Text is not UTF-8",
    "the file is not valid UTF-8: {detail}",
    "Polly reads metadata and text data files as UTF-8. Files saved as Latin-1 or UTF-16 (common from Excel on "
    "Windows) fail at ingestion. Re-save the file as UTF-8.",
    bad='{"description": "caf\\xe9"}   (byte 0xE9, Latin-1)',
    good='{"description": "café"}   (UTF-8: 0xC3 0xA9)',
)
UTF8_BOM = Rule(
    "OMX903",
    "utf8-bom",
    Severity.ERROR,
    "UTF-8 byte order mark",
    "the file starts with a UTF-8 byte order mark (EF BB BF)",
    "A byte order mark before the first character makes strict JSON parsers (Python's json among them) reject the "
    "file. Save the file as UTF-8 without BOM.",
    bad="\\xef\\xbb\\xbf{...}",
    good="{...}",
)
EMPTY_FILE = Rule(
    "OMX904",
    "empty-file",
    Severity.ERROR,
    "Empty file",
    "the file is empty{detail}",
    "An empty (or whitespace-only) file holds no metadata or data; it usually means an export failed.",
    bad="(0 bytes)",
    good='{"dataset_id": "GSE95640_GPL11154", ...}',
)
TOO_LARGE = Rule(
    "OMX906",
    "file-too-large",
    Severity.ERROR,
    "Input larger than the configured limit",
    "the file is {size} bytes, over the limit of {limit} bytes; it was not read",
    "Metadata files are small; a huge one is usually a data file under the wrong name, and reading it whole would "
    "exhaust memory. Raise the limit with `max-file-size` in `[tool.omix]` if the file is genuine.",
    bad="GSE1_GPL1.json: 2 GB",
    good="GSE1_GPL1.json: 2 KB",
)
SYMLINK_OUTSIDE = Rule(
    "OMX908",
    "symlink-outside-root",
    Severity.ERROR,
    "Symbolic link leads outside the validated folder",
    "symbolic link points outside {root}; it was not followed",
    "A link inside a dataset folder that resolves outside it could make the tool read (and ingest) files the "
    "folder's owner never meant to share. Copy the file into the folder instead.",
    bad="metadata/GSE1_GPL1.json -> /etc/passwd",
    good="metadata/GSE1_GPL1.json (a regular file)",
)
UNREADABLE = Rule(
    "OMX909",
    "unreadable-file",
    Severity.ERROR,
    "File cannot be read",
    "the file cannot be read: {detail}",
    "The path exists but reading it failed (a folder where a file was expected, no permission, an I/O error), or "
    "it is not a regular file (a FIFO, a device), which is never opened: reading one can block or never end.",
    bad="chmod 000 metadata/GSE1_GPL1.json",
    good="chmod 644 metadata/GSE1_GPL1.json",
)

LINE_TOO_LONG = Rule(
    "OMX916",
    "line-too-long",
    Severity.ERROR,
    "A line longer than any real file holds",
    "line {line} is longer than {limit} bytes; reading stopped there",
    "Text formats are read a line at a time. A line of hundreds of megabytes (a decompression bomb, a binary file "
    "under a text name, a file without line breaks) would have to be held in memory whole, so reading stops.",
    bad="1 GB of zeros inside calls.vcf.gz",
    good="one record per line",
)
MAX_LINE_BYTES = 64 * 1024 * 1024  # a VCF line with 100,000 samples is a few MB


class LineSource(Protocol):
    """What `bounded_lines` reads from: a binary file, a gzip stream, an in-memory buffer."""

    def readline(self, size: int = -1, /) -> bytes: ...


def bounded_lines(handle: LineSource, display: str, out: Any, limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a binary stream, each at most `limit` bytes; a longer one ends the stream with OMX916
    (`out` is the findings collector)."""
    number = 0
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit:
            out.add(LINE_TOO_LONG.finding(display, Location(line=number), line=number, limit=limit))
            return
        yield raw


RULES = (MISSING_FILE, NOT_UTF8, UTF8_BOM, EMPTY_FILE, TOO_LARGE, SYMLINK_OUTSIDE, UNREADABLE, LINE_TOO_LONG)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Caps that turn hostile inputs into findings instead of exhausted memory or stack."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = 64


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def open_error(exc: OSError, display: str) -> Finding:
    """The finding for a file that could not be opened or read: missing, a folder, no permission, I/O error."""
    if isinstance(exc, FileNotFoundError):
        return MISSING_FILE.finding(display, path=display)
    if isinstance(exc, IsADirectoryError):
        return UNREADABLE.finding(display, detail="it is a folder")
    return UNREADABLE.finding(display, detail=exc.strerror or type(exc).__name__)


def special_file_kind(path: Path) -> str | None:
    """What a path is when it is neither a regular file nor a folder (a FIFO, a device, a socket), else None.
    Reading one can block forever (a FIFO nobody writes to) or never end (/dev/zero), so nothing may open it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # missing or unreadable: the reader's own open reports why
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"


def not_a_regular_file(path: Path, display: str) -> Finding | None:
    """OMX909 for a FIFO, a device or a socket named like a data file (see `special_file_kind`)."""
    kind = special_file_kind(path)
    if kind is None:
        return None
    return UNREADABLE.finding(display, detail=f"it is {kind}, not a regular file; it was not opened")


def empty_file(path: Path, display: str) -> Finding | None:
    """OMX904 for a regular file of zero bytes, before a streaming reader would read nothing and find nothing."""
    try:
        info = path.stat()
    except OSError:
        return None  # the reader's own open reports why
    if stat.S_ISREG(info.st_mode) and info.st_size == 0:
        return EMPTY_FILE.finding(display, detail="")
    return None


def read_bytes(path: Path, display: str, limits: ReadLimits) -> tuple[bytes | None, list[Finding]]:
    """The file's bytes, or None with the finding that says why not."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_bytes:
                return None, [TOO_LARGE.finding(display, size=size, limit=limits.max_bytes)]
            # Ask for what fstat promised (plus one byte to notice growth): read(n) allocates n bytes up front.
            data = handle.read(size + 1) if size < limits.max_bytes else handle.read(limits.max_bytes + 1)
    except OSError as exc:
        return None, [open_error(exc, display)]
    if len(data) > limits.max_bytes:  # grew while we read it
        return None, [TOO_LARGE.finding(display, size=len(data), limit=limits.max_bytes)]
    return data, []


_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_utf8(data: bytes, display: str) -> tuple[str | None, list[Finding]]:
    """Strict UTF-8 text. A UTF-8 BOM is reported and skipped so that later checks still run."""
    findings: list[Finding] = []
    for bom, name in _FOREIGN_BOMS:
        if data.startswith(bom):
            return None, [NOT_UTF8.finding(display, detail=f"it starts with a {name} byte order mark")]
    if data.startswith(codecs.BOM_UTF8):
        findings.append(UTF8_BOM.finding(display, Location(line=1, column=1)))
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        line, column = line_column(good, len(good))
        detail = f"byte 0x{data[exc.start]:02X} at line {line}, column {column}"
        return None, [*findings, NOT_UTF8.finding(display, Location(line=line, column=column), detail=detail)]
    if not text.strip():
        detail = "" if not text else " (only white space)"
        return None, [*findings, EMPTY_FILE.finding(display, detail=detail)]
    return text, findings


def link_problem(path: Path, root: Path) -> Finding | None:
    """Why a symbolic link met while walking `root` must not be followed: OMX909 for a loop of links (which
    leads nowhere, so "outside" would mislead), OMX908 for a link that resolves outside `root`; None when it
    stays inside."""
    try:
        resolved = path.resolve(strict=False)
    except (OSError, RuntimeError):  # RuntimeError: a link loop (Python 3.11); newer versions raise OSError
        return UNREADABLE.finding(str(path), detail="it is a loop of symbolic links; it was not followed")
    if resolved.is_relative_to(root.resolve()):
        return None
    return SYMLINK_OUTSIDE.finding(str(path), root=str(root))
