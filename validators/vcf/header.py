"""The VCF header: the ##fileformat line, the ##INFO/FORMAT/FILTER/contig definitions and the #CHROM line.

The header is read first and gives the record checks in `validators.vcf.records` what they check against, so the
definitions it collects (`Definitions`) are the contract between the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from validators.core.capped import CappedFindings
from validators.core.model import Location, Severity
from validators.vcf.reserved import RESERVED_FORMAT, RESERVED_INFO
from validators.vcf.rules import DUPLICATE_SAMPLE, FILEFORMAT, HEADER_LINE, META_LINE

KNOWN_VERSIONS = ("VCFv4.1", "VCFv4.2", "VCFv4.3", "VCFv4.4")
FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]

_DEFINITION = re.compile(r"^##(INFO|FORMAT|FILTER|contig|ALT)=<(.*)>$")
_STRUCTURED = re.compile(r"^##(INFO|FORMAT|FILTER|contig|ALT)=<")
_ATTRIBUTE = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|[^,]*)')
_ANY_STRUCTURED = re.compile(r"^##[^=]+=<")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
_NUMBER = re.compile(r"[0-9]{1,9}|[ARG.]")
TYPES = {
    "INFO": ("Integer", "Float", "Flag", "Character", "String"),
    "FORMAT": ("Integer", "Float", "Character", "String"),
}
NEEDS_DESCRIPTION = ("INFO", "FORMAT", "FILTER", "ALT")


@dataclass
class Definitions:
    info: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID → (Number, Type)
    formats: dict[str, tuple[str, str]] = field(default_factory=dict)
    filters: set[str] = field(default_factory=lambda: {"PASS"})
    contigs: dict[str, int | None] = field(default_factory=dict)  # ID → length
    samples: list[str] = field(default_factory=list)
    columns: int = 8


class HeaderParser:
    """Reads header lines into `defs` up to and including the #CHROM line."""

    def __init__(self, display: str, out: CappedFindings, defs: Definitions) -> None:
        self.display, self.out, self.defs = display, out, defs

    def at(self, line: int, column: int = 1) -> Location:
        return Location(line=line, column=column)

    def parse(self, lines: Iterator[tuple[int, str]]) -> bool:
        """Consume the header; returns whether a #CHROM line was found (and the records can be checked)."""
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
            self._bad_meta(number, f"{text[:60]!r} is not ##key=value")
            return
        if _ANY_STRUCTURED.match(text) and '"' in _QUOTED.sub("", text):
            # htslib reads on past the quote to the end of the header, or reads the line as another one
            self._bad_meta(number, "a quoted value is not closed (an odd number of unescaped double quotes)")
            return
        match = _DEFINITION.match(text)
        if match is None:
            structured = _STRUCTURED.match(text)
            if structured is not None:
                self._bad_meta(number, f"the ##{structured.group(1)} line is not closed with '>'")
            return
        kind, body = match.groups()
        raw = dict(_ATTRIBUTE.findall(body))
        attributes = {k: v.strip('"') for k, v in raw.items()}
        ident = attributes.get("ID")
        if not ident:
            self._bad_meta(number, f"##{kind} line without ID")
            return
        if any(c.isspace() for c in ident) or ident.startswith(";") or "," in ident:
            self._bad_meta(number, f"##{kind} ID {ident!r} contains white space, a comma or a leading ';'")
        if kind in NEEDS_DESCRIPTION:
            self._description(number, kind, ident, raw.get("Description"))
        if kind in ("INFO", "FORMAT"):
            self._definition(number, kind, ident, attributes)
        elif kind == "FILTER":
            self.defs.filters.add(ident)
        elif kind == "contig":
            length = attributes.get("length", "")
            plausible = length.isascii() and length.isdigit() and len(length) <= 15
            self.defs.contigs[ident] = int(length) if plausible else None

    def _bad_meta(self, number: int, problem: str) -> None:
        self.out.add(META_LINE.finding(self.display, self.at(number), problem=problem))

    def _description(self, number: int, kind: str, ident: str, raw: str | None) -> None:
        """Description is required on these lines, and is a quoted string (VCF 4.3 section 1.4)."""
        if raw is None:
            self._bad_meta(number, f"##{kind} {ident} has no Description")
        elif not (len(raw) >= 2 and raw.startswith('"') and raw.endswith('"')):
            self._bad_meta(number, f"##{kind} {ident} has a Description that is not in double quotes")

    def _definition(self, number: int, kind: str, ident: str, attributes: dict[str, str]) -> None:
        missing = [k for k in ("Number", "Type") if k not in attributes]
        if missing:
            self._bad_meta(number, f"##{kind} {ident} lacks {' and '.join(missing)} (read as Number=. Type=String)")
        count, type_ = attributes.get("Number", "."), attributes.get("Type", "String")
        if not _NUMBER.fullmatch(count):
            self._bad_meta(number, f"##{kind} {ident} has Number={count}, not an integer, A, R, G or '.'")
            count = "."
        if type_ not in TYPES[kind]:
            allowed = ", ".join(TYPES[kind])
            self._bad_meta(number, f"##{kind} {ident} has Type={type_}, not a VCF type ({allowed})")
            type_ = "String"
        reserved = (RESERVED_INFO if kind == "INFO" else RESERVED_FORMAT).get(ident)
        if reserved is not None and "Type" in attributes and reserved[1] != type_:
            problem = f"##{kind} {ident} is declared Type={type_}; the specification reserves it as Type={reserved[1]}"
            self.out.add(META_LINE.finding(self.display, self.at(number), problem=problem, severity=Severity.WARNING))
        table = self.defs.info if kind == "INFO" else self.defs.formats
        table[ident] = (count, type_)

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
