"""VCF 4.1-4.4, plain or BGZF (OMX5xx).

Two streaming passes with constant memory: a line pass checks what htslib accepts silently (value types and counts,
QUAL, bases, sorting, duplicates, genotype indices, column counts), then pysam (htslib) reads the file as Polly's
tools will, and whatever htslib prints is captured and reported. The container (BGZF blocks, EOF marker, index
age) is checked first from the raw bytes, and an index beside the file last, against the records' contigs. The line
pass goes first because it can stop: at a line too long to hold, or after so many errors that the file fails
whatever follows (a decompression bomb of one record repeated), reading ends there, and htslib (which cannot be
stopped) is not given the file.

This module puts the passes together; each lives in its own module: `container`, `htslib`, `index`, and for the line
pass `header` (the header lines), `records` (the records) and `values` (what a value may be).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from validators.core.capped import CappedFindings
from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding, Location, Rule, Severity
from validators.core.unreadable import (
    EMPTY_FILE,
    LINE_TOO_LONG,
    MISSING_FILE,
    NOT_UTF8,
    UNREADABLE,
    UTF8_BOM,
    LineSource,
    bounded_lines,
    empty_file,
    open_error,
)
from validators.vcf.container import check_container
from validators.vcf.header import Definitions, HeaderParser
from validators.vcf.htslib import htslib_pass
from validators.vcf.index import check_index
from validators.vcf.records import RecordChecker
from validators.vcf.rules import NO_FINAL_NEWLINE, RULES, TOO_MANY_ERRORS, TRUNCATED

# Past this many errors the file fails whatever follows; counted every few thousand lines.
MAX_ERRORS = 200_000
ERRORS_CHECKED_EVERY = 4096


class VcfValidator:
    name = "vcf"
    kind = "data"
    rules: tuple[Rule, ...] = (*RULES, MISSING_FILE, NOT_UTF8, UNREADABLE, UTF8_BOM, EMPTY_FILE, LINE_TOO_LONG)

    def claims(self, path: Path) -> bool:
        return path.name.lower().endswith((".vcf", ".vcf.gz", ".vcf.bgz"))

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        display = str(path)
        yield Fact("format", "vcf")
        empty = empty_file(path, display)
        if empty is not None:
            yield empty
            return
        out = CappedFindings()
        try:
            compressed = check_container(path, display, out)
        except OSError as exc:
            yield open_error(exc, display)
            return
        lines_out = CappedFindings()  # reported after htslib's, as they always were
        line_pass = _LinePass(display, lines_out)
        try:
            with path.open("rb") as raw:
                if compressed:
                    with gzip.GzipFile(fileobj=raw, mode="rb") as handle:
                        samples = line_pass.run(handle)
                else:
                    samples = line_pass.run(raw)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            problem = f"the compressed stream ends early or is corrupt: {exc}"
            lines_out.add(TRUNCATED.finding(display, problem=problem))
            samples = None
        except OSError as exc:
            yield open_error(exc, display)
            return
        if not line_pass.stopped:
            htslib_pass(path, display, out)
            if compressed and samples is not None:
                check_index(path, display, out, list(line_pass.records.chroms))
        if samples is not None:
            yield Fact("n_samples", samples)
        yield from out
        yield from lines_out


class _LinePass:
    """Header then records, one line at a time."""

    def __init__(self, display: str, out: CappedFindings) -> None:
        self.display, self.out = display, out
        self.stopped = False  # reading ended before the end of the file (a line too long, a bomb)
        self.defs = Definitions()
        self.header = HeaderParser(display, out, self.defs)
        self.records = RecordChecker(display, out, self.defs)

    def _too_many_errors(self, number: int) -> bool:
        """Whether the errors so far pass the limit (then reported once, at the line reached)."""
        errors = sum(n for code, n in self.out.counts.items() if self.out.first[code].severity is Severity.ERROR)
        if errors < MAX_ERRORS:
            return False
        self.out.add(TOO_MANY_ERRORS.finding(self.display, Location(line=number), line=number, errors=errors))
        return True

    def _lines(self, handle: LineSource) -> Iterator[tuple[int, str]]:
        number, raw = 0, b"\n"
        for number, raw in enumerate(bounded_lines(handle, self.display, self.out), start=1):
            if not number % ERRORS_CHECKED_EVERY and self._too_many_errors(number):
                self.stopped = True
                return
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                self.out.add(UTF8_BOM.finding(self.display, Location(line=1, column=1)))
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                detail = f"byte 0x{raw[exc.start]:02X} at line {number}"
                self.out.add(NOT_UTF8.finding(self.display, Location(line=number, column=1), detail=detail))
                return
        if LINE_TOO_LONG.code in self.out.counts:
            self.stopped = True
            return
        if number and not raw.endswith(b"\n"):
            self.out.add(NO_FINAL_NEWLINE.finding(self.display, Location(line=number), line=number))

    def run(self, handle: LineSource) -> int | None:
        """Check the whole file; returns the number of samples, or None when the header could not be read."""
        lines = self._lines(handle)
        if not self.header.parse(lines):
            return None
        self.records.check(lines)
        return len(self.defs.samples)
