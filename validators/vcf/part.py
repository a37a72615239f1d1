"""One part of a BGZF VCF whose line pass is split over several tasks, and the exact merge of the parts.

Split points are BGZF block offsets (`split_points`); the index is not needed to find them, and a foreign or stale
index cannot misplace them. A part decompresses from its block and owns the lines from its seam to the next part's
seam. The seam after a block offset T is the first pair of consecutive record lines (P, L), P starting after T, that
a sorted file's checks can cross with a small state: both lines have 8 or more columns and a POS the records check
reads as a number, and L is on another contig than P or further along the same one. Both neighbours of a seam find
the same pair from the same bytes, so every line is checked by exactly one part.

What crosses a seam, and how it stays exact:
- line numbers: each part numbers its own lines from 1 and counts them; the merge shifts them;
- sorting and duplicate records: a part starts from (contig, POS) of P, as if P were the highest position of its
  contig so far; the merge checks that the previous part really ended in that state, else the file is validated
  whole;
- contig order and undeclared contigs: each part lists its contigs; the merge checks that no part meets a contig an
  earlier part met, other than the one it continues (else the file is validated whole);
- the findings caps: a part returns its first `cap` findings and its count per code; the merge keeps the first
  `cap` in file order and adds the counts, so the closing counts are the ones a single pass makes;
- stopping (a line too long, not UTF-8, a decompression error, too many errors): the part says so and the file is
  validated whole, in one pass that stops where it always did.
The header, container and htslib checks and the index run once, outside the parts (`whole_file_checks`, then
`finish`): the htslib read is one C pass, several times faster than the Python line pass that the parts share.
"""

from __future__ import annotations

import dataclasses
import gzip
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from validators.core.capped import CappedFindings
from validators.core.context import Fact
from validators.core.model import Finding, Location, Severity
from validators.core.unreadable import MAX_LINE_BYTES
from validators.vcf.container import BGZF_EOF, check_container
from validators.vcf.header import Definitions, HeaderParser
from validators.vcf.htslib import htslib_pass
from validators.vcf.index import check_index
from validators.vcf.records import RecordChecker
from validators.vcf.rules import NO_FINAL_NEWLINE
from validators.vcf.validator import ERRORS_CHECKED_EVERY, MAX_ERRORS

MAX_HEADER_BYTES = 64 * 1024 * 1024  # a longer header is not split (it would be read by every part)
BLOCK_SEARCH_BYTES = 4 * 1024 * 1024  # a BGZF block is at most 64 KiB, so one starts well within this
_BLOCK_HEAD = struct.Struct("<4s6xH2sHH")  # magic+method+flags, XLEN, subfield id, SLEN, BSIZE - 1

Key = tuple[str, int]  # (CHROM, POS) of a record line a seam can cross


class _Abnormal(Exception):
    """The part cannot be merged exactly; the file is validated whole."""


@dataclass
class PartResult:
    lines: int = 0  # lines this part owns
    kept: list[Finding] = field(default_factory=list)  # relative line numbers
    counts: dict[str, int] = field(default_factory=dict)
    start: Key | None = None  # the state it assumed at its seam (None: the first part)
    end: tuple[str | None, int] = (None, 0)
    chroms: list[str] = field(default_factory=list)
    samples: int | None = None  # the first part only
    empty: bool = False
    abnormal: str | None = None


def _block_at(data: bytes, at: int) -> int | None:
    """The size of a valid BGZF block at `data[at:]` (header, deflate data, CRC32 and ISIZE checked), or None."""
    if len(data) - at < _BLOCK_HEAD.size:
        return None
    magic, xlen, ident, slen, bsize = _BLOCK_HEAD.unpack_from(data, at)
    size = bsize + 1
    if magic != b"\x1f\x8b\x08\x04" or xlen != 6 or ident != b"BC" or slen != 2 or len(data) - at < size:
        return None
    try:
        body = zlib.decompress(data[at + 18 : at + size - 8], -15)
    except zlib.error:
        return None
    crc, isize = struct.unpack_from("<II", data, at + size - 8)
    return size if zlib.crc32(body) == crc and len(body) == isize else None


def _block_start(handle: BinaryIO, offset: int, file_size: int) -> int | None:
    """The first BGZF block at or after `offset` whose next block also starts where it says."""
    handle.seek(offset)
    data = handle.read(BLOCK_SEARCH_BYTES + 2 * 65536)
    at = data.find(b"\x1f\x8b\x08\x04")
    while 0 <= at < BLOCK_SEARCH_BYTES:
        size = _block_at(data, at)
        if size is not None and (offset + at + size == file_size or _block_at(data, at + size) is not None):
            return offset + at
        at = data.find(b"\x1f\x8b\x08\x04", at + 1)
    return None


def _header_end(handle: BinaryIO) -> int | None:
    """The offset of the first BGZF block after the one holding the #CHROM line's end, or None when the header is
    not a plain run of ## lines ended by #CHROM (those files are validated whole)."""
    handle.seek(0)
    data, offset, text, start = handle.read(65536 * 2), 0, bytearray(), 0
    while len(text) <= MAX_HEADER_BYTES:
        size = _block_at(data, 0)
        if size is None:
            return None
        text += zlib.decompress(data[18 : size - 8], -15)
        offset += size
        if text.startswith(b"\xef\xbb\xbf"):
            return None
        while (end := text.find(b"\n", start)) >= 0:  # each line once, as the blocks come
            if not text.startswith(b"##", start):
                return offset if text.startswith(b"#CHROM", start) else None
            start = end + 1
        data = data[size:] + handle.read(65536)
    return None


def split_points(path: Path, parts: int) -> list[int] | None:
    """Block offsets at which `parts` parts of about equal compressed size start (the first is 0), or None when
    the file is not a sound BGZF VCF with a plain header (then it is validated whole)."""
    scratch = CappedFindings()
    if not check_container(path, str(path), scratch) or scratch.counts:
        return None
    size = path.stat().st_size
    points = [0]
    with path.open("rb") as handle:
        header_end = _header_end(handle)
        if header_end is None:
            return None
        for number in range(1, parts):
            at = _block_start(handle, max(header_end, size * number // parts), size)
            if at is None or at >= size - len(BGZF_EOF):
                break
            if at > points[-1]:
                points.append(at)
    return points if len(points) > 1 else None


class _Window:
    """The bytes of `handle` up to `stop`: a gzip reader over it ends exactly at a block boundary."""

    def __init__(self, handle: BinaryIO, stop: int) -> None:
        self.handle, self.left = handle, stop - handle.tell()

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data


class _Stream:
    """(offset, line) of the decompressed lines from block `start`, offsets counted from `start`. With `stop`, the
    reading goes on past it (into the next part, to find its seam) and `boundary` becomes the offset `stop` falls
    at once the reading reaches it."""

    def __init__(self, handle: BinaryIO, start: int, stop: int | None, skip_partial: bool) -> None:
        self.handle, self.start, self.stop, self.skip_partial = handle, start, stop, skip_partial
        self.boundary: int | None = None

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        handle, stop = self.handle, self.stop
        position, carry, dropping = 0, b"", self.skip_partial
        handle.seek(self.start)
        phases: list[BinaryIO | _Window] = [handle] if stop is None else [_Window(handle, stop), handle]
        for phase, source in enumerate(phases):
            with gzip.GzipFile(fileobj=source, mode="rb") as reader:  # type: ignore[arg-type]
                while raw := reader.readline(MAX_LINE_BYTES + 1):
                    if carry:
                        raw, carry = carry + raw, b""
                    if len(raw) > MAX_LINE_BYTES:
                        raise _Abnormal("a line longer than the line limit")
                    if not raw.endswith(b"\n") and phase + 1 < len(phases):
                        carry = raw  # the line goes on in the next block, past `stop`
                        break
                    if dropping:  # the tail of a line that started before this part's first block
                        dropping = not raw.endswith(b"\n")
                    else:
                        yield position, raw
                    position += len(raw)
            if stop is not None and phase == 0:
                self.boundary = position + len(carry)
                handle.seek(stop)


def _key(raw: bytes) -> Key | None:
    fields = raw.split(b"\t", 7)
    if len(fields) < 8:
        return None
    chrom, pos = fields[0], fields[1]
    if not (pos.isdigit() and len(pos) <= 18):
        return None
    try:
        return chrom.decode("utf-8"), int(pos)
    except UnicodeDecodeError:
        return None


def _crossable(before: Key | None, after: Key | None) -> bool:
    return before is not None and after is not None and (after[0] != before[0] or after[1] > before[1])


class _Owned:
    """The lines a part owns: from its seam (the first part: from the first line) to the next part's seam."""

    def __init__(self, stream: _Stream) -> None:
        self.stream, self.lines = stream, iter(stream)
        self.prev: tuple[int, Key | None] | None = None
        self.start: Key | None = None
        self.pending: bytes | None = None

    def _next_seam(self, key: Key | None) -> bool:
        boundary = self.stream.boundary
        prev = self.prev
        return prev is not None and boundary is not None and prev[0] > boundary and _crossable(prev[1], key)

    def find_seam(self) -> bool:
        """Skip to this part's seam; False when the next part's seam comes first (the part owns nothing)."""
        for offset, raw in self.lines:
            key = _key(raw)
            if self.prev is not None and _crossable(self.prev[1], key):
                self.start = self.prev[1]
                if self._next_seam(key):
                    return False
                self.pending, self.prev = raw, (offset, key)
                return True
            self.prev = (offset, key)
        return False

    def __iter__(self) -> Iterator[bytes]:
        if self.pending is not None:
            yield self.pending
        for offset, raw in self.lines:
            key = _key(raw)
            if self._next_seam(key):
                return
            self.prev = (offset, key)
            yield raw


def _header_defs(handle: BinaryIO, display: str) -> Definitions:
    """The header's definitions, read again by a part that does not start at the header (its findings are the
    first part's to report)."""
    defs = Definitions()
    handle.seek(0)
    with gzip.GzipFile(fileobj=handle, mode="rb") as reader:
        lines = ((n, raw.decode("utf-8").rstrip("\r\n")) for n, raw in enumerate(reader, start=1))
        if not HeaderParser(display, CappedFindings(), defs).parse(lines):
            raise _Abnormal("the header cannot be read")
    return defs


def _numbered(owned: _Owned, out: CappedFindings, result: PartResult, display: str) -> Iterator[tuple[int, str]]:
    number, raw = 0, b"\n"
    for number, raw in enumerate(owned, start=1):
        if not number % ERRORS_CHECKED_EVERY and _errors(out) >= MAX_ERRORS:
            raise _Abnormal("too many errors")
        try:
            yield number, raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise _Abnormal("a line is not UTF-8") from None
    result.lines = number
    if number and not raw.endswith(b"\n"):
        out.add(NO_FINAL_NEWLINE.finding(display, Location(line=number), line=number))


def _errors(out: CappedFindings) -> int:
    return sum(n for code, n in out.counts.items() if out.first[code].severity is Severity.ERROR)


def check_part(path: Path, display: str, start: int, stop: int | None) -> PartResult:
    """The line pass over the lines one part owns: the part at block `start`, up to the part at block `stop`."""
    result, out = PartResult(), CappedFindings()
    try:
        with path.open("rb") as handle:
            defs = Definitions() if start == 0 else _header_defs(handle, display)
            owned = _Owned(_Stream(handle, start, stop, skip_partial=start != 0))
            records = RecordChecker(display, out, defs)
            if start != 0:
                if not owned.find_seam():
                    return PartResult(empty=True)
                result.start = owned.start
                first = _key(owned.pending or b"")
                if owned.start is not None and first is not None and first[0] == owned.start[0]:
                    records.chroms[first[0]] = None  # it goes on with the previous part's contig
            lines = _numbered(owned, out, result, display)
            if start == 0:
                if not HeaderParser(display, out, defs).parse(lines):
                    raise _Abnormal("the header cannot be read")
                result.samples = len(defs.samples)
            records.check(lines, result.start)
    except _Abnormal as exc:
        return PartResult(abnormal=str(exc))
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        return PartResult(abnormal=f"reading failed: {exc}")
    result.kept, result.counts = out.kept, dict(out.counts)
    result.end, result.chroms = records.end, list(records.chroms)
    return result


def _shifted(finding: Finding, lines_before: int, display: str) -> Finding:
    line = finding.location.line
    if line is None or not lines_before:
        return finding
    if finding.code == NO_FINAL_NEWLINE.code:  # its message names the line
        return NO_FINAL_NEWLINE.finding(display, Location(line=line + lines_before), line=line + lines_before)
    return dataclasses.replace(finding, location=dataclasses.replace(finding.location, line=line + lines_before))


@dataclass
class Merged:
    findings: CappedFindings
    chroms: list[str]
    samples: int | None


def merge_parts(display: str, results: list[PartResult]) -> Merged | str:
    """The parts' line pass as one pass would have made it, or why it cannot be (then validate the file whole)."""
    reason = next((r.abnormal for r in results if r.abnormal is not None), None)
    if reason is not None:
        return reason
    owned = [r for r in results if not r.empty]
    seen: dict[str, None] = {}
    merged, lines_before = CappedFindings(), 0
    for number, part in enumerate(owned):
        if number:
            previous = owned[number - 1]
            if part.start is None or previous.end != part.start:
                return "a part does not start in the sorting state the previous part ended in"
            if any(chrom in seen and chrom != part.start[0] for chrom in part.chroms):
                return "a contig appears in two parts"
        kept: dict[str, int] = {}
        for finding in part.kept:
            kept[finding.code] = kept.get(finding.code, 0) + 1
            merged.add(_shifted(finding, lines_before, display))
        for code, count in part.counts.items():
            merged.counts[code] += count - kept.get(code, 0)
        seen.update(dict.fromkeys(part.chroms))
        lines_before += part.lines
    if _errors(merged) >= MAX_ERRORS:
        return "too many errors: one pass stops at the limit"
    return Merged(merged, list(seen), owned[0].samples)


def whole_file_checks(path: Path, display: str) -> CappedFindings:
    """What runs once for a split file, in the order one pass runs it: the container, then the htslib read."""
    out = CappedFindings()
    check_container(path, display, out)
    htslib_pass(path, display, out)
    return out


def finish(path: Path, display: str, once: CappedFindings, merged: Merged) -> list[Finding | Fact]:
    """The validator's output for a split file, from `whole_file_checks` and the merged parts: the index is
    checked last against the records' contigs, as in one pass."""
    check_index(path, display, once, merged.chroms)
    return [Fact("format", "vcf"), Fact("n_samples", merged.samples), *once, *merged.findings]
