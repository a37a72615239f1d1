"""Text GCT 1.2 / 1.3 (OMX401-OMX417), streamed line by line with line and column in every finding.

Polly ingests GCT with cmapPy, whose own checks are `assert`s (gone under `python -O`) and which accepts some
files silently wrong. The rules here follow what cmapPy 4.0.1 needs to parse a file correctly:
missing values are the markers cmapPy reads as NaN (`NaN`, `NA`, `N/A`, `null`, `None`, ...; counted and
reported once as info); `-666` inside the matrix is also read as missing, which is ambiguous, so it is a warning;
an empty cell, text, or an infinite value is an error (cmapPy fails on the first two; the third poisons analyses).

This module reads the file and puts the checks together: `header` reads the head into a layout, `rows` checks
the data rows against it, and the rules themselves are declared in `rules`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from validators.core.capped import CappedFindings
from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding, Location, Rule
from validators.core.unreadable import NOT_UTF8, UTF8_BOM, bounded_lines, empty_file, open_error
from validators.gct.header import GctLayout, HeaderParser
from validators.gct.rows import RowChecker
from validators.gct.rules import COMPRESSED, CRLF, DIMENSION_MISMATCH, RULES
from validators.gct.screen import BATCH_CHARS, C_READER_FROM, SCREEN_FROM

GZIP_MAGIC = b"\x1f\x8b"


class _Reader:
    """Decoded lines with their numbers, CRLF counted; decoding errors become findings."""

    def __init__(self, handle: IO[bytes], display: str, out: CappedFindings) -> None:
        self.handle, self.display, self.out = handle, display, out
        self.number = 0
        self.crlf = 0
        self.first_crlf: int | None = None
        self.broken = False
        self.held: list[Finding] | None = None
        self.lines = self._lines()

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return self.lines

    def add(self, finding: Finding) -> None:
        """A finding of the reading itself, held back while a batch of the lines before it is being read."""
        if self.held is None:
            self.out.add(finding)
        else:
            self.held.append(finding)

    def batches(self, size: int = BATCH_CHARS) -> Iterator[list[tuple[int, str]]]:
        """The lines left, in lists of about `size` characters. What the reading reports (a decoding error, an
        overlong line) ends the lines; it is passed on after the last batch has been checked, in file order."""
        self.held = []
        batch: list[tuple[int, str]] = []
        chars = 0
        for item in self.lines:
            batch.append(item)
            chars += len(item[1])
            if chars >= size:
                yield batch
                batch, chars = [], 0
        if batch:
            yield batch
        held, self.held = self.held, None
        for finding in held:
            self.out.add(finding)

    def _lines(self) -> Iterator[tuple[int, str]]:
        for raw in bounded_lines(self.handle, self.display, self):
            self.number += 1
            if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                self.add(UTF8_BOM.finding(self.display, Location(line=1, column=1)))
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
                self.add(NOT_UTF8.finding(self.display, where, detail=detail))
                self.broken = True
                return
            yield self.number, text


class GctValidator:
    name = "gct"
    kind = "data"
    rules: tuple[Rule, ...] = RULES

    def __init__(self, screen_from: int = SCREEN_FROM, c_reader_from: int = C_READER_FROM) -> None:
        self.screen_from = screen_from  # batches of fewer characters skip the screen (0: every batch is screened)
        self.c_reader_from = c_reader_from  # files of fewer bytes are not handed to pandas' C reader

    def claims(self, path: Path) -> bool:
        return path.name.lower().endswith(".gct")

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        display = str(path)
        yield Fact("format", "gct")
        empty = empty_file(path, display)
        if empty is not None:
            yield empty
            return
        out = CappedFindings()
        try:
            with path.open("rb") as handle:
                if handle.read(2) == GZIP_MAGIC:
                    yield COMPRESSED.finding(display, Location(line=1, column=1))
                    return
                handle.seek(0)
                reader = _Reader(handle, display, out)
                large = os.fstat(handle.fileno()).st_size >= self.c_reader_from
                layout = _parse(reader, display, out, RowChecker(display, out, self.screen_from, large))
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


def _parse(reader: _Reader, display: str, out: CappedFindings, rows_checker: RowChecker) -> GctLayout | None:
    """The head, then the data rows, then whether there were as many rows as line 2 declares."""
    layout = HeaderParser(display, out).parse(iter(reader))
    if layout is None:
        return None
    rows = rows_checker.check(reader.batches(), layout)
    if rows != layout.rows and not reader.broken:  # a decoding error already ended the file early
        out.add(DIMENSION_MISMATCH.finding(display, Location(), declared=layout.rows, what="data rows", actual=rows))
    return layout
