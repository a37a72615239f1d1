"""VCF 4.1-4.4, plain or BGZF (OMX5xx).

Two streaming passes with constant memory: pysam (htslib) reads the file as Polly's tools will, and whatever htslib
prints is captured and reported; then a line pass checks what htslib accepts silently (value types and counts,
QUAL, bases, sorting, duplicates, genotype indices, column counts). The container (BGZF blocks, EOF marker,
index age) is checked first from the raw bytes.
"""

from __future__ import annotations

import gzip
import math
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from validators.core.capped import CappedFindings
from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding, Location, Rule, Severity
from validators.core.unreadable import MISSING_FILE, NOT_UTF8, UNREADABLE, UTF8_BOM, open_error
from validators.vcf.htslib import captured_stderr
from validators.vcf.rules import (
    ALT_EQUALS_REF,
    BASES,
    COLUMN_COUNT,
    COMPRESSION_NAME,
    DUPLICATE_RECORD,
    DUPLICATE_SAMPLE,
    FILEFORMAT,
    FLAG_WITH_VALUE,
    GENOTYPE_ALLELE,
    HEADER_LINE,
    HTSLIB_MESSAGE,
    INTERLEAVED,
    META_LINE,
    NOT_BGZF,
    POSITION,
    QUAL,
    RULES,
    STALE_INDEX,
    STRAY_LINE,
    TRUNCATED,
    UNDECLARED_CONTIG,
    UNDECLARED_KEY,
    UNSORTED,
    VALUE_NUMBER,
    VALUE_TYPE,
)

KNOWN_VERSIONS = ("VCFv4.1", "VCFv4.2", "VCFv4.3", "VCFv4.4")
FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
GZIP_MAGIC = b"\x1f\x8b"
STALE_SLACK_SECONDS = 2.0

_REF = re.compile(r"[ACGTNacgtn]+")
_ALT = re.compile(r"[ACGTNacgtn]+|\*|<[^<>,]+>|\.[ACGTNacgtn]+|[ACGTNacgtn]+\.|.*[\[\]].*")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DEFINITION = re.compile(r"^##(INFO|FORMAT|FILTER|contig)=<(.*)>$")
_ATTRIBUTE = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|[^,]*)')
# htslib messages that repeat a finding the line pass makes with more detail.
_DUPLICATES_OUR_OWN = (
    "is not defined in the header",
    "Missing headers may cause later processing to fail",
    "The index file is older than the data file",
)


@dataclass
class Definitions:
    info: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID → (Number, Type)
    formats: dict[str, tuple[str, str]] = field(default_factory=dict)
    filters: set[str] = field(default_factory=lambda: {"PASS"})
    contigs: dict[str, int | None] = field(default_factory=dict)  # ID → length
    samples: list[str] = field(default_factory=list)
    columns: int = 8


def _is_float(text: str) -> bool:
    try:
        return math.isfinite(float(text)) or text.lower() in ("nan", "-nan")
    except ValueError:
        return False


def _type_ok(value: str, type_: str) -> bool:
    if value == ".":
        return True
    if type_ == "Integer":
        return bool(_INTEGER.fullmatch(value))
    if type_ == "Float":
        return _is_float(value) and "_" not in value
    if type_ == "Character":
        return len(value) == 1
    return True


_SCALAR = {
    "Integer": r"[+-]?[0-9]+",
    "Float": r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?[Nn][Aa][Nn]",
    "Character": r"[^,]",
    "String": r"[^,]*",
}


def _value_pattern(definition: tuple[str, str], n_alt: int, ploidy: int | None) -> str | None:
    """A regex accepting exactly the values the definition allows for this record, or None (no fast path)."""
    count, type_ = definition
    scalar = _SCALAR.get(type_)
    if scalar is None:
        return None
    item = f"(?:{scalar}|\\.)"
    expected = _expected_count(count, n_alt, ploidy)
    if expected is None:
        return None if count == "G" else f"{item}(?:,{item})*"
    if expected == 0:
        return None
    return f"\\.|{item}" + (f"(?:,{item}){{{expected - 1}}}" if expected > 1 else "")


def _expected_count(number: str, n_alt: int, ploidy: int | None) -> int | None:
    """How many values Number allows for a record, or None when any count is fine."""
    if number.isdigit():
        return int(number)
    if number == "A":
        return n_alt
    if number == "R":
        return n_alt + 1
    if number == "G" and ploidy is not None:
        return math.comb(n_alt + ploidy, ploidy)
    return None


class VcfValidator:
    name = "vcf"
    kind = "data"
    rules: tuple[Rule, ...] = (*RULES, MISSING_FILE, NOT_UTF8, UNREADABLE, UTF8_BOM)

    def claims(self, path: Path) -> bool:
        return path.name.lower().endswith((".vcf", ".vcf.gz", ".vcf.bgz"))

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        display = str(path)
        yield Fact("format", "vcf")
        out = CappedFindings()
        try:
            compressed = self._container(path, display, out)
        except OSError as exc:
            yield open_error(exc, display)
            return
        self._htslib(path, display, out)
        try:
            with gzip.open(path, "rb") if compressed else path.open("rb") as handle:
                samples = _LinePass(display, out).run(handle)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            out.add(TRUNCATED.finding(display, problem=f"the compressed stream ends early or is corrupt: {exc}"))
            samples = None
        if samples is not None:
            yield Fact("n_samples", samples)
        yield from out

    def _container(self, path: Path, display: str, out: CappedFindings) -> bool:
        """Check compression against the name; returns whether the content is gzip-compressed."""
        with path.open("rb") as handle:
            head = handle.read(18)
            named_compressed = path.name.lower().endswith((".gz", ".bgz"))
            compressed = head.startswith(GZIP_MAGIC)
            if compressed and not named_compressed:
                out.add(COMPRESSION_NAME.finding(display, problem="gzip-compressed content under a .vcf name"))
            if named_compressed and not compressed:
                out.add(COMPRESSION_NAME.finding(display, problem="named as compressed, but the content is not gzip"))
            if not compressed:
                return False
            is_bgzf = len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC"
            if not is_bgzf:
                out.add(NOT_BGZF.finding(display, problem="plain gzip, not BGZF: the file cannot be indexed"))
                return True
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - len(BGZF_EOF)))
            if handle.read() != BGZF_EOF:
                out.add(TRUNCATED.finding(display, problem="no BGZF end-of-file block: the file was cut short"))
        data_mtime = path.stat().st_mtime
        for suffix in (".tbi", ".csi"):
            index = path.with_name(path.name + suffix)
            # A little slack: copies and checkouts write both files within the same second or two.
            if index.exists() and index.stat().st_mtime < data_mtime - STALE_SLACK_SECONDS:
                out.add(STALE_INDEX.finding(display, index=index.name))
        return True

    def _htslib(self, path: Path, display: str, out: CappedFindings) -> None:
        import pysam

        failure = None
        with captured_stderr() as captured:
            try:
                with pysam.VariantFile(str(path)) as variants:
                    for _ in variants:
                        pass
            except Exception as exc:  # pysam raises OSError, ValueError, NotImplementedError... all mean "stopped"
                failure = str(exc) or type(exc).__name__
        for message in captured.messages:
            if not message or any(part in message for part in _DUPLICATES_OUR_OWN):
                continue
            severity = Severity.ERROR if message.startswith("[E::") else Severity.WARNING
            out.add(HTSLIB_MESSAGE.finding(display, message=message, severity=severity))
        if captured.dropped:
            out.add(HTSLIB_MESSAGE.finding(display, message=f"{captured.dropped} more lines not shown"))
        said_why = any(m.startswith("[E::") for m in captured.messages)
        if failure is not None and not said_why:  # htslib's own error already says why reading stopped
            out.add(HTSLIB_MESSAGE.finding(display, message=f"reading stopped: {failure}", severity=Severity.ERROR))


class _LinePass:
    """Header then records, one line at a time."""

    def __init__(self, display: str, out: CappedFindings) -> None:
        self.display, self.out = display, out
        self.defs = Definitions()
        # Compiled accept tests, per (key or FORMAT string, number of ALT alleles): a value they accept has no
        # finding, so the detailed checks only run on what they reject.
        self._info_fast: dict[tuple[str, int], re.Pattern[str] | None] = {}
        self._sample_fast: dict[tuple[str, int], re.Pattern[str] | None] = {}

    def _info_pattern(self, key: str, n_alt: int) -> re.Pattern[str] | None:
        cache_key = (key, n_alt)
        if cache_key not in self._info_fast:
            definition = self.defs.info.get(key)
            pattern = _value_pattern(definition, n_alt, None) if definition and definition[1] != "Flag" else None
            self._info_fast[cache_key] = re.compile(pattern) if pattern else None
        return self._info_fast[cache_key]

    def _sample_pattern(self, format_text: str, n_alt: int) -> re.Pattern[str] | None:
        """One regex for a whole sample column under this FORMAT (diploid for Number=G; trailing fields may be
        dropped, as the spec allows)."""
        cache_key = (format_text, n_alt)
        if cache_key not in self._sample_fast:
            parts = []
            for key in format_text.split(":"):
                definition = self.defs.formats.get(key)
                if key == "GT" and n_alt <= 9:
                    allele = f"(?:\\.|[0-{n_alt}])"
                    parts.append(f"{allele}(?:[/|]{allele})*")
                elif definition is None or key == "GT":
                    parts = []
                    break
                else:
                    pattern = _value_pattern(definition, n_alt, 2)
                    if pattern is None:
                        parts = []
                        break
                    parts.append(f"(?:{pattern})")
            compiled = None
            if parts:
                body = parts[-1]
                for part in reversed(parts[:-1]):
                    body = f"{part}(?::{body})?"
                compiled = re.compile(body)
            self._sample_fast[cache_key] = compiled
        return self._sample_fast[cache_key]

    def at(self, line: int, column: int = 1) -> Location:
        return Location(line=line, column=column)

    def _lines(self, handle: Iterable[bytes]) -> Iterator[tuple[int, str]]:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                self.out.add(UTF8_BOM.finding(self.display, self.at(1)))
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                detail = f"byte 0x{raw[exc.start]:02X} at line {number}"
                self.out.add(NOT_UTF8.finding(self.display, self.at(number), detail=detail))
                return

    def run(self, handle: Iterable[bytes]) -> int | None:
        """Check the whole file; returns the number of samples, or None when the header could not be read."""
        lines = self._lines(handle)
        if not self._header(lines):
            return None
        self._records(lines)
        return len(self.defs.samples)

    # ---------------------------------------------------------------------------------------------- header

    def _header(self, lines: Iterator[tuple[int, str]]) -> bool:
        first = True
        for number, text in lines:
            if first:
                first = False
                if not text.startswith("##fileformat="):
                    self.out.add(
                        FILEFORMAT.finding(
                            self.display, self.at(1), problem="the first line must be ##fileformat=VCFv4.x"
                        )
                    )
                else:
                    version = text.split("=", 1)[1].strip()
                    if version not in KNOWN_VERSIONS:
                        problem = f"unknown version {version!r}; expected one of {', '.join(KNOWN_VERSIONS)}"
                        self.out.add(FILEFORMAT.finding(self.display, self.at(1), problem=problem))
                    continue
            if text.startswith("##"):
                self._meta(number, text)
            elif text.startswith("#CHROM"):
                self._chrom_line(number, text)
                return True
            else:
                problem = "the #CHROM header line is missing before the first record"
                self.out.add(HEADER_LINE.finding(self.display, self.at(number), problem=problem))
                return False
        self.out.add(HEADER_LINE.finding(self.display, Location(), problem="the file has no #CHROM header line"))
        return False

    def _meta(self, number: int, text: str) -> None:
        if "=" not in text:
            self.out.add(META_LINE.finding(self.display, self.at(number), problem=f"{text[:60]!r} is not ##key=value"))
            return
        match = _DEFINITION.match(text)
        if match is None:
            return
        kind, body = match.groups()
        attributes = {k: v.strip('"') for k, v in _ATTRIBUTE.findall(body)}
        ident = attributes.get("ID")
        if not ident:
            self.out.add(META_LINE.finding(self.display, self.at(number), problem=f"##{kind} line without ID"))
            return
        if kind in ("INFO", "FORMAT"):
            missing = [k for k in ("Number", "Type") if k not in attributes]
            if missing:
                problem = f"##{kind} {ident} lacks {' and '.join(missing)} (read as Number=. Type=String)"
                self.out.add(META_LINE.finding(self.display, self.at(number), problem=problem))
            table = self.defs.info if kind == "INFO" else self.defs.formats
            table[ident] = (attributes.get("Number", "."), attributes.get("Type", "String"))
        elif kind == "FILTER":
            self.defs.filters.add(ident)
        else:
            length = attributes.get("length", "")
            self.defs.contigs[ident] = int(length) if length.isdigit() else None

    def _chrom_line(self, number: int, text: str) -> None:
        columns = text.split("\t")
        if columns[:8] != FIXED_COLUMNS:
            hint = " (columns are separated by spaces, not tabs)" if len(columns) == 1 and " " in text else ""
            problem = f"the #CHROM line must start with {' '.join(FIXED_COLUMNS)} separated by tabs{hint}"
            self.out.add(HEADER_LINE.finding(self.display, self.at(number), problem=problem))
        if len(columns) > 8 and columns[8] != "FORMAT":
            problem = f"column 9 of the #CHROM line must be FORMAT when samples follow, found {columns[8]!r}"
            self.out.add(HEADER_LINE.finding(self.display, self.at(number), problem=problem))
        self.defs.samples = columns[9:]
        self.defs.columns = len(columns)
        seen: set[str] = set()
        for name in self.defs.samples:
            if name in seen:
                self.out.add(DUPLICATE_SAMPLE.finding(self.display, self.at(number), name=name))
            seen.add(name)

    # --------------------------------------------------------------------------------------------- records

    def _records(self, lines: Iterator[tuple[int, str]]) -> None:
        defs = self.defs
        finished: set[str] = set()
        undeclared: set[str] = set()
        chrom_now: str | None = None
        last_pos = 0
        same_pos: set[tuple[str, str]] = set()
        for number, text in lines:
            if not text.strip():
                self.out.add(STRAY_LINE.finding(self.display, self.at(number), problem="blank line in the body"))
                continue
            fields = text.split("\t")
            if len(fields) < 8:
                hint = " (space-delimited?)" if " " in text else ""
                self.out.add(
                    COLUMN_COUNT.finding(
                        self.display, self.at(number), found=len(fields), expected=defs.columns, hint=hint
                    )
                )
                continue
            if len(fields) != defs.columns:
                self.out.add(
                    COLUMN_COUNT.finding(
                        self.display, self.at(number), found=len(fields), expected=defs.columns, hint=""
                    )
                )
            chrom, pos_text, _, ref, alt, qual, filters, info = fields[:8]
            if chrom not in defs.contigs and chrom not in undeclared:
                undeclared.add(chrom)
                self.out.add(UNDECLARED_CONTIG.finding(self.display, self.at(number), name=chrom))
            if chrom != chrom_now:
                if chrom in finished:
                    self.out.add(INTERLEAVED.finding(self.display, self.at(number), chrom=chrom))
                if chrom_now is not None:
                    finished.add(chrom_now)
                chrom_now, last_pos, same_pos = chrom, 0, set()
            position = self._position(number, pos_text, chrom)
            if position is not None:
                if position < last_pos:
                    self.out.add(
                        UNSORTED.finding(self.display, self.at(number), pos=position, chrom=chrom, previous=last_pos)
                    )
                elif position > last_pos:
                    last_pos, same_pos = position, set()
                key = (ref, alt)
                if key in same_pos:
                    self.out.add(
                        DUPLICATE_RECORD.finding(
                            self.display, self.at(number), chrom=chrom, pos=position, ref=ref, alt=alt
                        )
                    )
                same_pos.add(key)
            n_alt = self._alleles(number, fields, ref, alt)
            if qual != "." and not (_is_float(qual) and float(qual) >= 0):
                self.out.add(QUAL.finding(self.display, self.at(number, self._col(fields, 5)), value=qual))
            if filters not in (".", "PASS"):
                for name in filters.split(";"):
                    if name not in defs.filters:
                        self.out.add(UNDECLARED_KEY.finding(self.display, self.at(number), kind="FILTER", key=name))
            if info != ".":
                self._info(number, info, n_alt)
            if len(fields) > 9:
                self._samples(number, fields, n_alt)

    @staticmethod
    def _col(fields: list[str], index: int) -> int:
        return sum(len(f) + 1 for f in fields[:index]) + 1

    def _position(self, number: int, text: str, chrom: str) -> int | None:
        problem = None
        position = int(text) if text.isdigit() else None
        length = self.defs.contigs.get(chrom)
        if position is None:
            problem = "is not a positive integer"
        elif position < 1:
            problem = "is below 1"
        elif length is not None and position > length:
            problem = f"is beyond the end of {chrom} (length {length})"
        if problem is not None:
            where = self.at(number, len(chrom) + 2)
            self.out.add(POSITION.finding(self.display, where, value=text, problem=problem))
        return position

    def _alleles(self, number: int, fields: list[str], ref: str, alt: str) -> int:
        if not _REF.fullmatch(ref):
            self.out.add(
                BASES.finding(
                    self.display,
                    self.at(number, self._col(fields, 3)),
                    column="REF",
                    value=ref,
                    problem="is not made of A, C, G, T, N",
                )
            )
        if alt == ".":
            return 0
        alts = alt.split(",")
        for allele in alts:
            if _ALT.fullmatch(allele) and allele.upper() != ref.upper():
                continue
            where = self.at(number, self._col(fields, 4))
            if not _ALT.fullmatch(allele):
                self.out.add(
                    BASES.finding(
                        self.display,
                        where,
                        column="ALT",
                        value=allele,
                        problem="is not bases, *, a <symbolic> allele or a breakend",
                    )
                )
            elif allele.upper() == ref.upper():
                self.out.add(ALT_EQUALS_REF.finding(self.display, where, value=allele))
        return len(alts)

    def _check_values(
        self,
        number: int,
        kind: str,
        key: str,
        values: list[str],
        definition: tuple[str, str],
        n_alt: int,
        ploidy: int | None,
    ) -> None:
        count, type_ = definition
        expected = _expected_count(count, n_alt, ploidy)
        if expected is not None and values != ["."] and len(values) != expected:
            self.out.add(
                VALUE_NUMBER.finding(
                    self.display,
                    self.at(number),
                    kind=kind,
                    key=key,
                    found=len(values),
                    expected=f"{expected} (Number={count})",
                )
            )
        for value in values:
            if not _type_ok(value, type_):
                self.out.add(
                    VALUE_TYPE.finding(
                        self.display,
                        self.at(number),
                        kind=kind,
                        key=key,
                        value=value,
                        expected=f"a{'n' if type_[0] in 'AEIOU' else ''} {type_}",
                    )
                )
                break

    def _info(self, number: int, info: str, n_alt: int) -> None:
        for item in info.split(";"):
            key, has_value, value = item.partition("=")
            fast = self._info_pattern(key, n_alt)
            if fast is not None and has_value and fast.fullmatch(value):
                continue
            definition = self.defs.info.get(key)
            if definition is None:
                self.out.add(UNDECLARED_KEY.finding(self.display, self.at(number), kind="INFO", key=key))
                continue
            if definition[1] == "Flag":
                if has_value:
                    self.out.add(FLAG_WITH_VALUE.finding(self.display, self.at(number), key=key, value=value))
                continue
            self._check_values(number, "INFO", key, value.split(","), definition, n_alt, None)

    def _samples(self, number: int, fields: list[str], n_alt: int) -> None:
        fast = self._sample_pattern(fields[8], n_alt)
        if fast is not None and all(fast.fullmatch(column) for column in fields[9:]):
            return
        keys = fields[8].split(":")
        definitions = []
        for key in keys:
            definition = self.defs.formats.get(key)
            if definition is None:
                self.out.add(UNDECLARED_KEY.finding(self.display, self.at(number), kind="FORMAT", key=key))
            definitions.append(definition)
        names = self.defs.samples
        for offset, column in enumerate(fields[9:]):
            sample = names[offset] if offset < len(names) else f"column {10 + offset}"
            values = column.split(":")
            if len(values) > len(keys):
                self.out.add(
                    VALUE_NUMBER.finding(
                        self.display,
                        self.at(number),
                        kind="sample",
                        key=sample,
                        found=len(values),
                        expected=f"at most {len(keys)} (FORMAT keys)",
                    )
                )
            ploidy = None
            for key, definition, value in zip(keys, definitions, values, strict=False):
                if key == "GT":
                    ploidy = self._genotype(number, sample, value, n_alt)
                    continue
                if definition is not None:
                    self._check_values(number, "FORMAT", key, value.split(","), definition, n_alt, ploidy)

    def _genotype(self, number: int, sample: str, value: str, n_alt: int) -> int:
        alleles = re.split(r"[/|]", value)
        for allele in alleles:
            if allele == ".":
                continue
            if not allele.isdigit() or int(allele) > n_alt:
                self.out.add(
                    GENOTYPE_ALLELE.finding(
                        self.display, self.at(number), sample=sample, value=value, index=allele, alleles=n_alt + 1
                    )
                )
                break
        return len(alleles)
