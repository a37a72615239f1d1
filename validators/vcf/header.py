"""The VCF header: the ##fileformat line, the ##INFO/FORMAT/FILTER/contig definitions and the #CHROM line.

The header is read first and gives the record checks in `validators.vcf.records` what they check against, so the
definitions it collects (`Definitions`) are the contract between the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from validators.core.capped import CappedFindings
from validators.core.model import Location
from validators.vcf.rules import DUPLICATE_SAMPLE, FILEFORMAT, HEADER_LINE, META_LINE

KNOWN_VERSIONS = ("VCFv4.1", "VCFv4.2", "VCFv4.3", "VCFv4.4")
FIXED_COLUMNS = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]

_DEFINITION = re.compile(r"^##(INFO|FORMAT|FILTER|contig)=<(.*)>$")
_ATTRIBUTE = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|[^,]*)')


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
