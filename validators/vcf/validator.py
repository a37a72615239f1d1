"""VCF 4.1-4.4, plain or BGZF (OMX5xx).

Two streaming passes with constant memory: pysam (htslib) reads the file as Polly's tools will, and whatever htslib
prints is captured and reported; then a line pass checks what htslib accepts silently (value types and counts,
QUAL, bases, sorting, duplicates, genotype indices, column counts). The container (BGZF blocks, EOF marker,
index age) is checked first from the raw bytes.

This module puts the passes together; each lives in its own module: `container`, `htslib`, and for the line pass
`header` (the header lines), `records` (the records) and `values` (what a value may be).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path

from validators.core.capped import CappedFindings
from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding, Location, Rule
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
from validators.vcf.records import RecordChecker
from validators.vcf.rules import NO_FINAL_NEWLINE, RULES, TRUNCATED


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
        htslib_pass(path, display, out)
        try:
            with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
                samples = _LinePass(display, out).run(handle)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            out.add(TRUNCATED.finding(display, problem=f"the compressed stream ends early or is corrupt: {exc}"))
            samples = None
        if samples is not None:
            yield Fact("n_samples", samples)
        yield from out


class _LinePass:
    """Header then records, one line at a time."""

    def __init__(self, display: str, out: CappedFindings) -> None:
        self.display, self.out = display, out
        self.defs = Definitions()
        self.header = HeaderParser(display, out, self.defs)
        self.records = RecordChecker(display, out, self.defs)

    def _lines(self, handle: LineSource) -> Iterator[tuple[int, str]]:
        number, raw = 0, b"\n"
        for number, raw in enumerate(bounded_lines(handle, self.display, self.out), start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                self.out.add(UTF8_BOM.finding(self.display, Location(line=1, column=1)))
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                detail = f"byte 0x{raw[exc.start]:02X} at line {number}"
                self.out.add(NOT_UTF8.finding(self.display, Location(line=number, column=1), detail=detail))
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
