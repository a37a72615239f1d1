"""The VCF records: one line at a time, each checked against the header's `Definitions`.

These are the checks htslib makes silently or not at all: positions and sorting, duplicate records, bases,
QUAL, FILTER, INFO and FORMAT values (type and count), and genotype indices. Values go through a compiled fast
path first (`validators.vcf.values`), so the detailed checks only run on what it rejects.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from validators.core.capped import CappedFindings
from validators.core.model import Location
from validators.vcf.header import Definitions
from validators.vcf.reserved import RESERVED_FORMAT, RESERVED_INFO
from validators.vcf.rules import (
    ALT_EQUALS_REF,
    BASES,
    COLUMN_COUNT,
    DUPLICATE_INFO_KEY,
    DUPLICATE_RECORD,
    FLAG_WITH_VALUE,
    FORMAT_KEYS,
    GENOTYPE_ALLELE,
    INTERLEAVED,
    POSITION,
    QUAL,
    RECORD_ID,
    STRAY_LINE,
    UNDECLARED_CONTIG,
    UNDECLARED_KEY,
    UNSORTED,
    VALUE_NUMBER,
    VALUE_TYPE,
)
from validators.vcf.values import (
    MAX_VALUES,
    ascii_digits,
    expected_count,
    info_pattern,
    is_float,
    sample_pattern,
    type_ok,
)

BITS = {"Integer": " (32-bit, signed)", "Float": " (32-bit: at most about 3.4e38)"}
_REF = re.compile(r"[ACGTNacgtn]+")
_ALT = re.compile(r"[ACGTNacgtn]+|\*|<[^<>,]+>|\.[ACGTNacgtn]+|[ACGTNacgtn]+\.|.*[\[\]].*")


class RecordChecker:
    """Checks the records that follow the #CHROM line."""

    def __init__(self, display: str, out: CappedFindings, defs: Definitions) -> None:
        self.display, self.out, self.defs = display, out, defs
        # Compiled accept tests, per (key or FORMAT string, number of ALT alleles): a value they accept has no
        # finding, so the detailed checks only run on what they reject.
        self._info_fast: dict[tuple[str, int], re.Pattern[str] | None] = {}
        self._sample_fast: dict[tuple[str, int], re.Pattern[str] | None] = {}
        # What each key means: the header's definitions over the specification's reserved keys.
        self.info_defs: dict[str, tuple[str, str]] = {}
        self.format_defs: dict[str, tuple[str, str]] = {}
        self._format_problems: dict[str, str | None] = {}  # per distinct FORMAT string
        self.chroms: dict[str, None] = {}  # the contigs with records, in order (an index must name these)
        self.end: tuple[str | None, int] = (None, 0)  # the contig and sorting position after the last record

    def _info_pattern(self, key: str, n_alt: int) -> re.Pattern[str] | None:
        cache_key = (key, n_alt)
        if cache_key not in self._info_fast:
            self._info_fast[cache_key] = info_pattern(self.info_defs.get(key), n_alt)
        return self._info_fast[cache_key]

    def _sample_pattern(self, format_text: str, n_alt: int) -> re.Pattern[str] | None:
        cache_key = (format_text, n_alt)
        if cache_key not in self._sample_fast:
            self._sample_fast[cache_key] = sample_pattern(format_text, self.format_defs, n_alt)
        return self._sample_fast[cache_key]

    def at(self, line: int, column: int = 1) -> Location:
        return Location(line=line, column=column)

    def check(self, lines: Iterator[tuple[int, str]], start: tuple[str, int] | None = None) -> None:
        """Check every remaining line as a record. `start` (a part of a split file) is the contig and position of
        the record before the first line, which continues that contig's sorting; the caller verifies it."""
        defs = self.defs
        self.info_defs = {**RESERVED_INFO, **defs.info}
        self.format_defs = {**RESERVED_FORMAT, **defs.formats}
        finished: set[str] = set()
        undeclared: set[str] = set()
        chrom_now: str | None = None
        last_pos = 0
        if start is not None:
            chrom_now, last_pos = start
            if chrom_now not in defs.contigs:  # reported where it first appeared, before this part
                undeclared.add(chrom_now)
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
            chrom, pos_text, ident, ref, alt, qual, filters, info = fields[:8]
            if ident != ".":
                self._ident(number, ident)
            assembly_contig = chrom.startswith("<") and chrom.endswith(">")  # a contig of an assembly file (4.3)
            if chrom not in defs.contigs and chrom not in undeclared and not assembly_contig:
                undeclared.add(chrom)
                self.out.add(UNDECLARED_CONTIG.finding(self.display, self.at(number), name=chrom))
            if chrom != chrom_now:
                if chrom in finished:
                    self.out.add(INTERLEAVED.finding(self.display, self.at(number), chrom=chrom))
                if chrom_now is not None:
                    finished.add(chrom_now)
                chrom_now, last_pos, same_pos = chrom, 0, set()
                self.chroms[chrom] = None
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
            if qual != "." and not (is_float(qual) and (math.isnan(float(qual)) or float(qual) >= 0)):
                self.out.add(QUAL.finding(self.display, self.at(number, self._col(fields, 5)), value=qual))
            if filters not in (".", "PASS"):
                for name in filters.split(";"):
                    if name not in defs.filters:
                        self.out.add(UNDECLARED_KEY.finding(self.display, self.at(number), kind="FILTER", key=name))
            if info != ".":
                self._info(number, info, n_alt)
            if len(fields) > 9 and fields[8] != ".":  # FORMAT "." : no per-sample keys
                self._samples(number, fields, n_alt)
        self.end = (chrom_now, last_pos)

    @staticmethod
    def _col(fields: list[str], index: int) -> int:
        return sum(len(f) + 1 for f in fields[:index]) + 1

    def _ident(self, number: int, ident: str) -> None:
        problem = None
        if any(c.isspace() for c in ident):
            problem = "contains white space"
        elif "" in ident.split(";"):
            problem = "has an empty item (a leading, trailing or doubled ';')"
        if problem is not None:
            self.out.add(RECORD_ID.finding(self.display, self.at(number), value=ident, problem=problem))

    def _position(self, number: int, text: str, chrom: str) -> int | None:
        """POS is 1..length; 0 and length + 1 mark telomeres (VCF 4.x section 1.6.1)."""
        problem = None
        position = int(text) if ascii_digits(text) and len(text) <= 18 else None
        length = self.defs.contigs.get(chrom)
        if position is None:
            problem = "is not a non-negative integer"
        elif length is not None and position > length + 1:
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
        expected = expected_count(count, n_alt, ploidy)
        if expected is not None and values != ["."] and len(values) != expected:
            self.out.add(
                VALUE_NUMBER.finding(
                    self.display,
                    self.at(number),
                    kind=kind,
                    key=key,
                    found=len(values),
                    expected=f"{expected if expected <= MAX_VALUES else 'more than any line holds'} (Number={count})",
                )
            )
        for value in values:
            if not type_ok(value, type_):
                self.out.add(
                    VALUE_TYPE.finding(
                        self.display,
                        self.at(number),
                        kind=kind,
                        key=key,
                        value=value if len(value) <= 40 else f"{value[:20]}... ({len(value)} characters)",
                        expected=f"a{'n' if type_[0] in 'AEIOU' else ''} {type_}{BITS.get(type_, '')}",
                    )
                )
                break

    def _info(self, number: int, info: str, n_alt: int) -> None:
        items = info.split(";")
        keys = [item.partition("=")[0] for item in items]
        if len(set(keys)) != len(keys):
            for key, count in Counter(keys).items():
                if count > 1:
                    self.out.add(DUPLICATE_INFO_KEY.finding(self.display, self.at(number), key=key, count=count))
        for item in items:
            key, has_value, value = item.partition("=")
            fast = self._info_pattern(key, n_alt)
            if fast is not None and has_value and fast.fullmatch(value):
                continue
            definition = self.info_defs.get(key)
            if definition is None:
                self.out.add(UNDECLARED_KEY.finding(self.display, self.at(number), kind="INFO", key=key))
                continue
            if definition[1] == "Flag":
                if has_value:
                    self.out.add(FLAG_WITH_VALUE.finding(self.display, self.at(number), key=key, value=value))
                continue
            self._check_values(number, "INFO", key, value.split(","), definition, n_alt, None)

    def _format_problem(self, format_text: str) -> str | None:
        if format_text not in self._format_problems:
            keys = format_text.split(":")
            problem = None
            if "" in keys:
                problem = "has an empty key"
            elif len(set(keys)) != len(keys):
                problem = "names a key more than once"
            elif "GT" in keys[1:]:
                problem = "has GT after other keys; it must come first"
            self._format_problems[format_text] = problem
        return self._format_problems[format_text]

    def _samples(self, number: int, fields: list[str], n_alt: int) -> None:
        problem = self._format_problem(fields[8])
        if problem is not None:
            where = self.at(number, self._col(fields, 8))
            self.out.add(FORMAT_KEYS.finding(self.display, where, value=fields[8], problem=problem))
        fast = self._sample_pattern(fields[8], n_alt)
        if fast is not None and all(fast.fullmatch(column) for column in fields[9:]):
            return
        keys = fields[8].split(":")
        definitions = []
        for key in keys:
            definition = self.format_defs.get(key)
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
        # VCF 4.4: a genotype may start with its phasing indicator ("|0", "/0|1"): "the first may be omitted".
        alleles = re.split(r"[/|]", value[1:] if value[:1] in ("/", "|") else value)
        for allele in alleles:
            if allele == ".":
                continue
            if not ascii_digits(allele) or len(allele) > 9 or int(allele) > n_alt:
                self.out.add(
                    GENOTYPE_ALLELE.finding(
                        self.display, self.at(number), sample=sample, value=value, index=allele, alleles=n_alt + 1
                    )
                )
                break
        return len(alleles)
